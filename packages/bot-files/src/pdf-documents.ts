import { PDFDocument, type PDFFont, StandardFonts } from 'pdf-lib';

// GENERATE PDF and MERGE PDF with pdf-lib. A template is text (plain, Markdown or simple HTML,
// whose tags are dropped) with {{name}} placeholders (dotted paths into the data); lines starting
// with "# " or "## " are headings, a line "---page---" starts a new page. A list of rows in a
// placeholder becomes an aligned table, so a bot table's rows print as they are.

const A4: [number, number] = [595.28, 841.89];
const MARGIN = 50;
const BODY_SIZE = 10;
const LINE = 13;
/** Lines drawn between two turns of the event loop (a few milliseconds of work). */
const LINES_BETWEEN_YIELDS = 50;

/**
 * What one PDF may take: pages made, characters of filled template (about 200 pages of text), and
 * bytes of PDFs merged (all of them are held in memory together).
 */
export const DEFAULT_PDF_LIMITS = { maxPages: 500, maxChars: 1_000_000, maxMergeBytes: 50 * 1024 * 1024 };

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

const characterSets = new WeakMap<PDFFont, Set<number>>();

/** The characters a standard font can draw (WinAnsi), once per font. */
function characterSet(font: PDFFont): Set<number> {
  let known = characterSets.get(font);
  if (!known) {
    known = new Set(font.getCharacterSet());
    characterSets.set(font, known);
  }
  return known;
}

/**
 * The pieces of a line no wider than `width` at `size`, broken at spaces where it can, one at a
 * time (the caller draws each before the next is cut); characters the font cannot draw become
 * "?". Linear in the line: each character's width is measured once and summed (a piece is
 * measured whole only to allow for kerning), so a long line without spaces costs no more than a
 * short one per character.
 */
function* wrap(font: PDFFont, size: number, text: string, width: number): Generator<string> {
  if (text === '') {
    yield '';
    return;
  }
  const known = characterSet(font);
  const widths = new Map<string, number>();
  const widthOf = (c: string) => {
    let w = widths.get(c);
    if (w === undefined) {
      w = font.widthOfTextAtSize(c, size);
      widths.set(c, w);
    }
    return w;
  };
  const chars = [...text];
  for (let i = 0; i < chars.length; i++) if (!known.has(chars[i]!.codePointAt(0)!)) chars[i] = '?';
  let start = 0;
  while (start < chars.length) {
    let end = start;
    let used = 0;
    let space = -1;
    while (end < chars.length && used + widthOf(chars[end]!) <= width) {
      if (chars[end] === ' ') space = end;
      used += widthOf(chars[end]!);
      end += 1;
    }
    if (end === chars.length) {
      yield chars.slice(start).join('');
      return;
    }
    let cut = space > start ? space : Math.max(end, start + 1);
    while (cut > start + 1 && font.widthOfTextAtSize(chars.slice(start, cut).join(''), size) > width)
      cut -= 1;
    yield chars.slice(start, cut).join('');
    start = chars[cut] === ' ' ? cut + 1 : cut;
  }
}

/** A PDF of the filled template: A4 pages, Courier text (tables stay aligned), Helvetica headings. */
export async function generatePdf(
  template: string,
  data: Data,
  options: { maxPages?: number; maxChars?: number } = {},
): Promise<GeneratedPdf> {
  const maxPages = options.maxPages ?? DEFAULT_PDF_LIMITS.maxPages;
  const maxChars = options.maxChars ?? DEFAULT_PDF_LIMITS.maxChars;
  if (template.length > maxChars)
    throw new Error(`the template is more than ${maxChars} characters; a PDF is made of at most that`);
  const text = fillTemplate(template, data);
  if (text.length > maxChars)
    throw new Error(`the filled template is more than ${maxChars} characters; a PDF is made of at most that`);
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
  let drawn = 0;
  for (const raw of text.replace(/\r\n?/g, '\n').replace(/\t/g, '    ').split('\n')) {
    if (raw.trim() === '---page---' || raw === '\f') {
      newPage();
      continue;
    }
    const heading = /^(#{1,2}) (.*)$/.exec(raw);
    const font = heading ? bold : body;
    const size = heading ? (heading[1] === '#' ? 18 : 14) : BODY_SIZE;
    const height = heading ? size + 8 : LINE;
    for (const piece of wrap(font, size, heading ? heading[2]! : raw, width)) {
      if (y - height < MARGIN) newPage();
      y -= height;
      page.drawText(piece, { x: MARGIN, y, size, font });
      // A long document is seconds of work: let the host's other requests run between pages.
      drawn += 1;
      if (drawn % LINES_BETWEEN_YIELDS === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  }
  const bytes = await doc.save({ objectsPerTick: 20 });
  return { bytes, pages: doc.getPageCount() };
}

/** The PDFs one after another, every page of each, in the order given. */
export async function mergePdfs(
  files: { name: string; bytes: Uint8Array }[],
  options: { maxBytes?: number } = {},
): Promise<GeneratedPdf> {
  const maxBytes = options.maxBytes ?? DEFAULT_PDF_LIMITS.maxMergeBytes;
  const total = files.reduce((sum, file) => sum + file.bytes.length, 0);
  if (total > maxBytes) throw new Error(`the PDFs add up to more than ${maxBytes} bytes; nothing was merged`);
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
