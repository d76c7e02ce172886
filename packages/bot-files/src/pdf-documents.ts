import { PDFDocument, type PDFFont, StandardFonts } from 'pdf-lib';

// GENERATE PDF and MERGE PDF with pdf-lib. A template is text (plain, Markdown or simple HTML,
// whose tags are dropped) with {{name}} placeholders (dotted paths into the data); lines starting
// with "# " or "## " are headings, a line "---page---" starts a new page. A list of rows in a
// placeholder becomes an aligned table, so a bot table's rows print as they are.

const A4: [number, number] = [595.28, 841.89];
const MARGIN = 50;
const BODY_SIZE = 10;
const LINE = 13;

export interface GeneratedPdf {
  bytes: Uint8Array;
  pages: number;
}

type Data = unknown;

const isRow = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A value as template text: rows as an aligned table, lists one item a line, objects as JSON. */
export function templateText(value: Data): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) {
    if (value.length && value.every(isRow)) return rowsTable(value);
    return value.map((v) => templateText(v)).join('\n');
  }
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function rowsTable(rows: Record<string, unknown>[]): string {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown) =>
    v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  const widths = columns.map((c) => Math.min(40, Math.max(c.length, ...rows.map((r) => cell(r[c]).length))));
  const line = (cells: string[]) =>
    cells
      .map((text, i) => text.slice(0, widths[i]).padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [
    line(columns),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map((r) => line(columns.map((c) => cell(r[c])))),
  ].join('\n');
}

/** The template with its placeholders filled from the data; HTML tags dropped, entities read. */
export function fillTemplate(template: string, data: Data): string {
  const lookup = (path: string): unknown =>
    path === '.' || path === 'this'
      ? data
      : path
          .split('.')
          .reduce<unknown>((at, key) => (isRow(at) && Object.hasOwn(at, key) ? at[key] : undefined), data);
  let text = template;
  if (/<[a-z!/][^>]*>/i.test(text))
    text = text
      .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, '')
      .replace(/<br\s*\/?>|<\/(p|div|h[1-6]|li|tr|table|ul|ol)>/gi, '\n')
      .replace(/<h1[^>]*>/gi, '# ')
      .replace(/<h[2-6][^>]*>/gi, '## ')
      .replace(/<li[^>]*>/gi, '- ')
      .replace(/<\/t[dh]>/gi, '  ')
      .replace(/<[^>]*>/g, '')
      .replace(/&nbsp;/g, ' ')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&');
  return text.replace(/\{\{\s*([A-Za-z0-9_.]+)\s*\}\}/g, (_, path: string) => templateText(lookup(path)));
}

/** Characters the standard fonts cannot draw (outside WinAnsi) become "?". */
function drawable(font: PDFFont, text: string): string {
  const known = new Set(font.getCharacterSet());
  return [...text].map((c) => (known.has(c.codePointAt(0)!) ? c : '?')).join('');
}

/** Splits a line into pieces no wider than `width` at `size`, at spaces where it can. */
function wrap(font: PDFFont, size: number, text: string, width: number): string[] {
  if (text === '') return [''];
  const out: string[] = [];
  let rest = text;
  while (rest.length) {
    let cut = rest.length;
    while (cut > 1 && font.widthOfTextAtSize(rest.slice(0, cut), size) > width) {
      const space = rest.lastIndexOf(' ', cut - 1);
      cut = space > 0 && font.widthOfTextAtSize(rest.slice(0, space), size) <= width ? space : cut - 1;
    }
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut).replace(/^ /, '');
  }
  return out;
}

/** A PDF of the filled template: A4 pages, Courier text (tables stay aligned), Helvetica headings. */
export async function generatePdf(
  template: string,
  data: Data,
  options: { maxPages?: number } = {},
): Promise<GeneratedPdf> {
  const maxPages = options.maxPages ?? 500;
  const doc = await PDFDocument.create();
  const body = await doc.embedFont(StandardFonts.Courier);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const width = A4[0] - 2 * MARGIN;
  let page = doc.addPage(A4);
  let y = A4[1] - MARGIN;
  const newPage = () => {
    if (doc.getPageCount() >= maxPages) throw new Error(`the PDF would have more than ${maxPages} pages`);
    page = doc.addPage(A4);
    y = A4[1] - MARGIN;
  };
  for (const raw of fillTemplate(template, data).replace(/\r\n?/g, '\n').replace(/\t/g, '    ').split('\n')) {
    if (raw.trim() === '---page---' || raw === '\f') {
      newPage();
      continue;
    }
    const heading = /^(#{1,2}) (.*)$/.exec(raw);
    const font = heading ? bold : body;
    const size = heading ? (heading[1] === '#' ? 18 : 14) : BODY_SIZE;
    const height = heading ? size + 8 : LINE;
    for (const piece of wrap(font, size, drawable(font, heading ? heading[2]! : raw), width)) {
      if (y - height < MARGIN) newPage();
      y -= height;
      page.drawText(piece, { x: MARGIN, y, size, font });
    }
  }
  const bytes = await doc.save();
  return { bytes, pages: doc.getPageCount() };
}

/** The PDFs one after another, every page of each, in the order given. */
export async function mergePdfs(files: { name: string; bytes: Uint8Array }[]): Promise<GeneratedPdf> {
  const merged = await PDFDocument.create();
  for (const file of files) {
    let source: PDFDocument;
    try {
      source = await PDFDocument.load(file.bytes);
    } catch (error) {
      throw new Error(`"${file.name}" is not a PDF that can be read (${(error as Error).message})`);
    }
    const pages = await merged.copyPages(source, source.getPageIndices());
    for (const page of pages) merged.addPage(page);
  }
  const bytes = await merged.save();
  return { bytes, pages: merged.getPageCount() };
}

/** How many pages a PDF has (for tests and answers). */
export async function pageCount(bytes: Uint8Array): Promise<number> {
  return (await PDFDocument.load(bytes)).getPageCount();
}
