import { existsSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import { type ChartData, type ChartOptions, chartSpec } from './chart-spec.js';

/**
 * Fonts the rasterizer is given by path, so text renders the same on any Debian-like machine;
 * the system's fonts are loaded as well, and these names are asked for first.
 */
const FONT_FILES = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
  '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf',
  '/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf',
].filter((path) => existsSync(path));
const FONT_FAMILY = 'DejaVu Sans';

/** Renders a result as SVG through Vega-Lite and Vega's headless view (no DOM, no canvas). */
export async function renderChartSvg(data: ChartData, options: ChartOptions): Promise<string> {
  const spec = chartSpec(data, options);
  const compiled = compile(spec, {
    config: { font: FONT_FAMILY, background: 'white', padding: 12 },
    logger: vega.logger(vega.Error),
  }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Error });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterizes an SVG to PNG at its own size with resvg. */
export function svgToPng(svg: string): Buffer {
  const rendered = new Resvg(svg, {
    font: {
      fontFiles: FONT_FILES,
      loadSystemFonts: true,
      defaultFontFamily: FONT_FAMILY,
      sansSerifFamily: FONT_FAMILY,
    },
  }).render();
  return rendered.asPng();
}

/** The chart as PNG, the same drawing as {@link renderChartSvg}. */
export async function renderChartPng(data: ChartData, options: ChartOptions): Promise<Buffer> {
  return svgToPng(await renderChartSvg(data, options));
}
