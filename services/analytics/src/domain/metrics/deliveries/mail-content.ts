import type { ChartData } from '../charts/chart-spec.js';
import { escapeHtml, toCsv, toHtmlTable } from './format-result.js';

/**
 * What a mail of a result may hold. The mail is an event (analytics.metrics.mail_requested) on
 * NATS, whose default largest message is 1 MB, so its parts together stay near 800 KB: the HTML
 * and the CSV text each within their share (as JSON, so escapes count), the chart's PNG too.
 */
export const MAIL_ROWS = 200;
const HTML_BYTES = 250_000;
const TEXT_BYTES = 150_000;
const PNG_BASE64_BYTES = 400_000;

const jsonBytes = (value: string) => Buffer.byteLength(JSON.stringify(value));

/** The most leading rows (up to `max`) whose rendering stays within `bytes`. */
export function rowsWithin(
  data: ChartData,
  max: number,
  bytes: number,
  render: (data: ChartData) => string,
): ChartData {
  let low = 0;
  let high = Math.min(max, data.rows.length);
  const fits = (n: number) =>
    jsonBytes(render({ columns: data.columns, rows: data.rows.slice(0, n) })) <= bytes;
  if (fits(high)) return { columns: data.columns, rows: data.rows.slice(0, high) };
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (fits(mid)) low = mid;
    else high = mid - 1;
  }
  return { columns: data.columns, rows: data.rows.slice(0, low) };
}

const truncationNote = (shown: number, total: number) =>
  `Truncated: ${total - shown} more row${total - shown === 1 ? '' : 's'} not shown (${total} in all).`;

/**
 * A result as a mail: an HTML table and CSV text of its first rows (up to MAIL_ROWS, fewer when
 * they would not fit) with a note of how many more there are, and the chart when its PNG fits.
 */
export function mailContent(
  result: ChartData,
  options: { title: string; introHtml?: string; chartPng?: Buffer | undefined },
): { html: string; text: string; chartPng?: Buffer } {
  const intro = options.introHtml ? `${options.introHtml}\n` : '';
  const budget = HTML_BYTES - jsonBytes(intro) - 1_000;
  const htmlRows = rowsWithin(result, MAIL_ROWS, budget, (d) => toHtmlTable(d, options.title));
  const textRows = rowsWithin(result, MAIL_ROWS, TEXT_BYTES - 1_000, toCsv);
  const total = result.rows.length;
  const pngFits = options.chartPng && options.chartPng.length * (4 / 3) + 4 <= PNG_BASE64_BYTES;
  const notes: string[] = [];
  if (htmlRows.rows.length < total) notes.push(truncationNote(htmlRows.rows.length, total));
  if (options.chartPng && !pngFits) notes.push('The chart is too large to attach.');
  let html = `${intro}${toHtmlTable(htmlRows, options.title)}`;
  if (notes.length) html += `\n${notes.map((n) => `<p>${escapeHtml(n)}</p>`).join('\n')}`;
  let text = toCsv(textRows);
  if (textRows.rows.length < total) text += `\r\n${truncationNote(textRows.rows.length, total)}\r\n`;
  return { html, text, ...(pngFits ? { chartPng: options.chartPng! } : {}) };
}
