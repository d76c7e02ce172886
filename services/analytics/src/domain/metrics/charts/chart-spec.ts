import type { TopLevelSpec } from 'vega-lite';

/** How an exploration is drawn; chosen per exploration, the same in the API and every delivery. */
export const chartKinds = ['line', 'bar', 'area', 'table'] as const;
export type ChartKind = (typeof chartKinds)[number];

export type ChartCell = string | number | boolean | null;

/** The part of an exploration's result a chart reads (the result shape of part A's runner). */
export interface ChartData {
  columns: { name: string; type: 'time' | 'number' | 'string' | 'boolean'; title: string }[];
  rows: Record<string, ChartCell>[];
}

/** An alert's bounds on one measure column, drawn as horizontal rules. */
export interface ChartBound {
  column: string;
  lower?: number | null;
  upper?: number | null;
}

export interface ChartOptions {
  kind: ChartKind;
  title?: string;
  bounds?: ChartBound[];
  width?: number;
  height?: number;
}

// Long values would make a table cell or an axis label unreadable; a chart is for looking at.
const CELL_TEXT_LIMIT = 40;
const TABLE_ROW_LIMIT = 50;

/** Picks the x axis: the time column when there is one, else the first dimension. */
function xColumn(data: ChartData) {
  return data.columns.find((c) => c.type === 'time') ?? data.columns.find((c) => c.type !== 'number');
}

/**
 * Vega-Lite for a line, bar or area chart: measures are folded into one "measure" / "value" pair
 * so several measures share the y axis with a colour each; a second dimension colours the series
 * when there is a single measure. Bounds are dashed rules on the same y scale.
 */
function seriesSpec(data: ChartData, options: ChartOptions): TopLevelSpec {
  const x = xColumn(data);
  const measures = data.columns.filter((c) => c.type === 'number' && c !== x);
  const splitBy =
    measures.length === 1 ? data.columns.find((c) => c !== x && c.type !== 'number') : undefined;
  const titles = new Map(data.columns.map((c) => [c.name, c.title]));
  // Vega reads dots in field names as paths; rows are rekeyed to positional names.
  const values = data.rows.map((row, index) => {
    const out: Record<string, ChartCell> = { __x: x ? (row[x.name] ?? null) : index + 1 };
    measures.forEach((m, i) => {
      out[`m${i}`] = row[m.name] ?? null;
    });
    if (splitBy) out.__series = String(row[splitBy.name] ?? '');
    return out;
  });
  const mark =
    options.kind === 'line'
      ? { type: 'line' as const, point: true }
      : options.kind === 'area'
        ? { type: 'area' as const, line: true, point: true, opacity: 0.5 }
        : { type: 'bar' as const };
  // Bars need a band per bucket (and per measure inside it), so their time axis is discrete.
  const xEncoding =
    x?.type === 'time'
      ? options.kind === 'bar'
        ? { field: '__x', type: 'ordinal' as const, timeUnit: 'utcyearmonthdatehoursminutes', title: x.title }
        : { field: '__x', type: 'temporal' as const, title: x.title, scale: { type: 'utc' as const } }
      : { field: '__x', type: 'ordinal' as const, title: x?.title ?? '#', sort: null };
  const colour = splitBy
    ? { field: '__series', type: 'nominal' as const, title: splitBy.title }
    : { field: 'measure', type: 'nominal' as const, title: 'Measure' };
  const bounds = (options.bounds ?? []).flatMap((bound) => {
    const label = titles.get(bound.column) ?? bound.column;
    return [
      bound.lower == null ? [] : [{ bound: `${label} lower`, value: bound.lower }],
      bound.upper == null ? [] : [{ bound: `${label} upper`, value: bound.upper }],
    ].flat();
  });
  const layers: TopLevelSpec[] = [];
  const seriesLayer = {
    mark,
    transform: [
      { fold: measures.map((_, i) => `m${i}`), as: ['measureKey', 'value'] as [string, string] },
      {
        calculate: `[${measures.map((m) => JSON.stringify(m.title)).join(',')}][toNumber(substring(datum.measureKey, 1))]`,
        as: 'measure',
      },
    ],
    encoding: {
      x: xEncoding,
      y: {
        field: 'value',
        type: 'quantitative' as const,
        title: measures.length === 1 ? measures[0]?.title : 'Value',
      },
      color: colour,
      ...(options.kind === 'bar' && measures.length > 1 ? { xOffset: { field: 'measure' } } : {}),
    },
  };
  const boundLayer = {
    data: { values: bounds },
    mark: { type: 'rule' as const, color: '#d62728', strokeDash: [6, 4], strokeWidth: 2 },
    encoding: { y: { field: 'value', type: 'quantitative' as const }, tooltip: { field: 'bound' } },
  };
  layers.push(seriesLayer as unknown as TopLevelSpec);
  if (bounds.length > 0) layers.push(boundLayer as unknown as TopLevelSpec);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...(options.title ? { title: options.title } : {}),
    width: options.width ?? 640,
    height: options.height ?? 320,
    data: { values },
    layer: layers,
  } as unknown as TopLevelSpec;
}

function cellText(value: ChartCell): string {
  const text = value === null ? '' : String(value);
  return text.length > CELL_TEXT_LIMIT ? `${text.slice(0, CELL_TEXT_LIMIT - 1)}…` : text;
}

/** A table drawn with text marks: one cell per (row, column), the header as the x axis. */
function tableSpec(data: ChartData, options: ChartOptions): TopLevelSpec {
  const rows = data.rows.slice(0, TABLE_ROW_LIMIT);
  const cells = rows.flatMap((row, rowIndex) =>
    data.columns.map((column, columnIndex) => ({
      row: rowIndex,
      column: `${columnIndex}`,
      text: cellText(row[column.name] ?? null),
    })),
  );
  const headers = data.columns.map((c) => c.title);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...(options.title ? { title: options.title } : {}),
    width: options.width ?? Math.max(180, 200 * data.columns.length),
    height: options.height ?? Math.max(40, 22 * rows.length),
    data: { values: cells },
    mark: { type: 'text', align: 'center' },
    config: { view: { stroke: null } },
    encoding: {
      x: {
        field: 'column',
        type: 'ordinal',
        sort: null,
        title: null,
        axis: {
          orient: 'top',
          domain: false,
          ticks: false,
          labelAngle: 0,
          labelFontWeight: 'bold',
          labelExpr: `${JSON.stringify(headers)}[toNumber(datum.value)]`,
        },
      },
      y: { field: 'row', type: 'ordinal', axis: null },
      text: { field: 'text' },
    },
  } as unknown as TopLevelSpec;
}

/** The Vega-Lite specification of a chart; pure, so tests and deliveries see the same thing. */
export function chartSpec(data: ChartData, options: ChartOptions): TopLevelSpec {
  return options.kind === 'table' ? tableSpec(data, options) : seriesSpec(data, options);
}
