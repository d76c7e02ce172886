import type { ChartBound, ChartData, ChartKind } from '../charts/chart-spec.js';
import { renderChartPng } from '../charts/render-chart.js';

export type DeliveryFormat = 'csv' | 'json' | 'html' | 'chart';

/** A result made ready to send: its text body, and for `chart` the PNG beside the HTML table. */
export interface FormattedResult {
  format: DeliveryFormat;
  contentType: string;
  text: string;
  png?: Buffer;
}

type Cell = string | number | boolean | null;

// A cell that a spreadsheet would read as a formula is quoted as text (CSV injection).
const FORMULA_START = /^[=+\-@\t\r]/;

function csvCell(value: Cell): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function toCsv(data: ChartData): string {
  const lines = [data.columns.map((c) => csvCell(c.title)).join(',')];
  for (const row of data.rows) lines.push(data.columns.map((c) => csvCell(row[c.name] ?? null)).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

export const escapeHtml = (value: Cell) =>
  value === null
    ? ''
    : String(value)
        .replaceAll('&', '&amp;')
        .replaceAll('<', '&lt;')
        .replaceAll('>', '&gt;')
        .replaceAll('"', '&quot;')
        .replaceAll("'", '&#39;');

export function toHtmlTable(data: ChartData, title?: string): string {
  const head = data.columns.map((c) => `<th>${escapeHtml(c.title)}</th>`).join('');
  const body = data.rows
    .map(
      (row) => `<tr>${data.columns.map((c) => `<td>${escapeHtml(row[c.name] ?? null)}</td>`).join('')}</tr>`,
    )
    .join('\n');
  const caption = title ? `<caption>${escapeHtml(title)}</caption>` : '';
  return `<table>${caption}<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table>`;
}

/**
 * The result in a report's format. `chart` is the exploration's own chart (the same drawing as
 * its chart routes) with the table beside it; `bounds` draws an alert's bounds on it.
 */
export async function formatResult(
  data: ChartData,
  options: { format: DeliveryFormat; title: string; chart: ChartKind; bounds?: ChartBound[] },
): Promise<FormattedResult> {
  switch (options.format) {
    case 'csv':
      return { format: 'csv', contentType: 'text/csv; charset=utf-8', text: toCsv(data) };
    case 'json':
      return {
        format: 'json',
        contentType: 'application/json',
        text: JSON.stringify({ columns: data.columns, rows: data.rows }),
      };
    case 'html':
      return {
        format: 'html',
        contentType: 'text/html; charset=utf-8',
        text: toHtmlTable(data, options.title),
      };
    case 'chart':
      return {
        format: 'chart',
        contentType: 'text/html; charset=utf-8',
        text: toHtmlTable(data, options.title),
        png: await renderChartPng(data, {
          kind: options.chart,
          title: options.title,
          bounds: options.bounds,
        }),
      };
  }
}
