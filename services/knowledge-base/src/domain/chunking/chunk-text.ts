/**
 * Splits a document's text into chunks of about `chunkSize` tokens for retrieval. Chunks follow the
 * document's shape: a heading starts a new chunk and every chunk knows the headings above it;
 * paragraphs are kept whole when they fit, and only a paragraph larger than a chunk is cut (at
 * line ends, then between words). Consecutive chunks of one section share about `overlap` tokens,
 * so a sentence cut at a boundary is found from both sides. Each chunk's text is exactly
 * `text.slice(charStart, charEnd)`.
 */
export interface Chunk {
  content: string;
  headingPath: string[];
  charStart: number;
  charEnd: number;
  tokenCount: number;
}

export interface ChunkOptions {
  chunkSize: number;
  overlap: number;
}

/** Tokens as language models count them, approximately: 1.3 per word. */
export const estimateTokens = (text: string) => Math.ceil((text.match(/\S+/g)?.length ?? 0) * 1.3);

interface Unit {
  start: number;
  end: number;
  tokens: number;
  heading?: { level: number; title: string };
}

const MARKDOWN_HEADING = /^(#{1,6})\s+(.+?)\s*#*\s*$/;
/** Manual pages (and text made from HTML or DOCX here) write section headings as UPPERCASE lines. */
const UPPERCASE_HEADING = /^[A-Z][A-Z0-9 ,&/()'._-]{1,60}$/;

function headingOf(line: string): Unit['heading'] {
  const markdown = MARKDOWN_HEADING.exec(line);
  if (markdown) return { level: markdown[1]!.length, title: markdown[2]! };
  const trimmed = line.trimEnd();
  if (UPPERCASE_HEADING.test(trimmed) && (trimmed.match(/[A-Z]/g)?.length ?? 0) >= 2)
    return { level: 1, title: trimmed };
  return undefined;
}

/** Lines with their offsets; `end` excludes the newline. */
function linesOf(text: string): { start: number; end: number; line: string }[] {
  const lines: { start: number; end: number; line: string }[] = [];
  let start = 0;
  for (;;) {
    const newline = text.indexOf('\n', start);
    const end = newline === -1 ? text.length : newline;
    lines.push({ start, end, line: text.slice(start, end) });
    if (newline === -1) return lines;
    start = newline + 1;
  }
}

/** Word windows of at most `size` tokens over one long line. */
function splitLongLine(text: string, start: number, end: number, size: number): Unit[] {
  const words = [...text.slice(start, end).matchAll(/\S+/g)];
  const perUnit = Math.max(1, Math.floor(size / 1.3));
  const units: Unit[] = [];
  for (let i = 0; i < words.length; i += perUnit) {
    const group = words.slice(i, i + perUnit);
    const first = group[0]!;
    const last = group.at(-1)!;
    units.push({
      start: start + first.index!,
      end: start + last.index! + last[0].length,
      tokens: Math.ceil(group.length * 1.3),
    });
  }
  return units;
}

function unitsOf(text: string, chunkSize: number): Unit[] {
  const units: Unit[] = [];
  let paragraph: { start: number; end: number; lines: { start: number; end: number }[] } | undefined;
  const closeParagraph = () => {
    if (!paragraph) return;
    const tokens = estimateTokens(text.slice(paragraph.start, paragraph.end));
    if (tokens <= chunkSize) units.push({ start: paragraph.start, end: paragraph.end, tokens });
    else
      for (const line of paragraph.lines) {
        const lineTokens = estimateTokens(text.slice(line.start, line.end));
        if (lineTokens === 0) continue;
        if (lineTokens <= chunkSize) units.push({ start: line.start, end: line.end, tokens: lineTokens });
        else units.push(...splitLongLine(text, line.start, line.end, chunkSize));
      }
    paragraph = undefined;
  };
  for (const { start, end, line } of linesOf(text)) {
    if (!line.trim()) {
      closeParagraph();
      continue;
    }
    const heading = headingOf(line);
    if (heading) {
      closeParagraph();
      units.push({ start, end, tokens: estimateTokens(line), heading });
      continue;
    }
    if (paragraph) {
      paragraph.end = end;
      paragraph.lines.push({ start, end });
    } else paragraph = { start, end, lines: [{ start, end }] };
  }
  closeParagraph();
  return units;
}

export function chunkText(text: string, options: ChunkOptions): Chunk[] {
  const chunkSize = Math.max(20, options.chunkSize);
  const overlap = Math.max(0, Math.min(options.overlap, Math.floor(chunkSize / 2)));
  const chunks: Chunk[] = [];
  const headings: { level: number; title: string }[] = [];
  let current: Unit[] = [];
  let currentPath: string[] = [];

  const hasBody = () => current.some((unit) => !unit.heading);
  const flush = () => {
    if (!hasBody()) return;
    const charStart = current[0]!.start;
    const charEnd = current.at(-1)!.end;
    const content = text.slice(charStart, charEnd);
    chunks.push({
      content,
      headingPath: currentPath,
      charStart,
      charEnd,
      tokenCount: estimateTokens(content),
    });
  };

  for (const unit of unitsOf(text, chunkSize)) {
    if (unit.heading) {
      flush();
      if (hasBody()) current = [];
      while (headings.length && headings.at(-1)!.level >= unit.heading.level) headings.pop();
      headings.push(unit.heading);
      current.push(unit);
      currentPath = headings.map((h) => h.title);
      continue;
    }
    const tokens = current.reduce((sum, u) => sum + u.tokens, 0);
    if (hasBody() && tokens + unit.tokens > chunkSize) {
      flush();
      // Carry the tail of the chunk just closed into the next one, whole units only.
      const carried: Unit[] = [];
      let carriedTokens = 0;
      for (let i = current.length - 1; i >= 0; i--) {
        const previous = current[i]!;
        if (previous.heading || carriedTokens + previous.tokens > overlap) break;
        carried.unshift(previous);
        carriedTokens += previous.tokens;
      }
      current = carried;
    }
    if (current.length === 0) currentPath = headings.map((h) => h.title);
    current.push(unit);
  }
  flush();
  return chunks;
}
