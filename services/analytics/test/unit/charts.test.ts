import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { chartKinds } from '../../src/domain/metrics/charts/chart-spec.js';
import { renderChartPng, renderChartSvg } from '../../src/domain/metrics/charts/render-chart.js';

const result = {
  columns: [
    { name: 'orders.createdAt.day', type: 'time' as const, title: 'Created day' },
    { name: 'orders.count', type: 'number' as const, title: 'Orders' },
    { name: 'orders.total', type: 'number' as const, title: 'Revenue' },
  ],
  rows: [
    { 'orders.createdAt.day': '2026-01-01T00:00:00.000Z', 'orders.count': 17, 'orders.total': 230 },
    { 'orders.createdAt.day': '2026-01-02T00:00:00.000Z', 'orders.count': 42, 'orders.total': 120 },
    { 'orders.createdAt.day': '2026-01-03T00:00:00.000Z', 'orders.count': 31, 'orders.total': 99 },
  ],
};

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };

/** Walks the PNG's chunks and inflates its image data: what a decoder does before unfiltering. */
function decodePng(png: Buffer) {
  expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  let offset = 8;
  let header: { width: number; height: number; bitDepth: number; colourType: number } | undefined;
  const data: Buffer[] = [];
  let ended = false;
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const body = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      header = {
        width: body.readUInt32BE(0),
        height: body.readUInt32BE(4),
        bitDepth: body[8] ?? 0,
        colourType: body[9] ?? -1,
      };
    }
    if (type === 'IDAT') data.push(body);
    if (type === 'IEND') ended = true;
    offset += 12 + length;
  }
  expect(ended).toBe(true);
  if (!header) throw new Error('no IHDR chunk');
  const pixels = inflateSync(Buffer.concat(data));
  const channels = CHANNELS[header.colourType] ?? 0;
  // One filter byte, then the row's samples, for every row.
  expect(pixels.length).toBe(header.height * (1 + (header.width * channels * header.bitDepth) / 8));
  return { ...header, pixels };
}

/** The data-derived labels Vega writes on each drawn point or cell. */
const markLabels = (svg: string) =>
  [...svg.matchAll(/aria-label="([^"]*)"/g)].map((m) => m[1] ?? '').filter((l) => !l.includes('axis'));

describe('charts', () => {
  for (const kind of chartKinds) {
    it(`draws a ${kind} chart as SVG holding each value, and as a PNG that decodes at the SVG's size`, async () => {
      const svg = await renderChartSvg(result, { kind, title: 'Orders per day', width: 500, height: 250 });
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).toContain('Orders per day');
      const labels = markLabels(svg).join('\n');
      for (const row of result.rows) {
        expect(labels).toContain(String(row['orders.count']));
        expect(labels).toContain(String(row['orders.total']));
      }
      const width = Number(/width="(\d+)"/.exec(svg)?.[1]);
      const height = Number(/height="(\d+)"/.exec(svg)?.[1]);
      const png = decodePng(
        await renderChartPng(result, { kind, title: 'Orders per day', width: 500, height: 250 }),
      );
      expect(png.width).toBe(width);
      expect(png.height).toBe(height);
      if (kind !== 'table') {
        // The plot area plus axes, legend and padding.
        expect(png.width).toBeGreaterThan(500);
        expect(png.height).toBeGreaterThan(250);
      }
    });
  }

  it('draws one point per row and measure on a line chart, and names each measure', async () => {
    const svg = await renderChartSvg(result, { kind: 'line' });
    // Each point carries its own label; each line carries its first point's.
    const points = new Set(markLabels(svg).filter((l) => l.startsWith('Created day:')));
    expect(points.size).toBe(result.rows.length * 2);
    expect(points).toContain('Created day: Jan 02, 2026; Value: 42; Measure: Orders');
    expect(svg).toContain('Revenue');
  });

  it('draws an alert’s bounds as rules at their values', async () => {
    const without = await renderChartSvg(result, { kind: 'line' });
    const withBounds = await renderChartSvg(result, {
      kind: 'line',
      bounds: [{ column: 'orders.count', lower: 20, upper: 40 }],
    });
    expect(without).not.toContain('#d62728');
    const rules = markLabels(withBounds).filter((l) => l.startsWith('value:'));
    expect(rules).toEqual(['value: 20; bound: Orders lower', 'value: 40; bound: Orders upper']);
    expect(withBounds.match(/stroke="#d62728"/g)).toHaveLength(2);
  });

  it('keeps text that could not be drawn out of the table: long values are cut', async () => {
    const svg = await renderChartSvg(
      {
        columns: [{ name: 'a', type: 'string', title: 'Name' }],
        rows: [{ a: 'x'.repeat(100) }, { a: null }],
      },
      { kind: 'table' },
    );
    expect(svg).toContain(`${'x'.repeat(39)}…`);
    expect(svg).not.toContain('x'.repeat(40));
  });
});
