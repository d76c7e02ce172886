// Turns BASIC source into tokens. Line-oriented: newlines are tokens because statements end there.
export type TokenKind = 'number' | 'string' | 'ident' | 'op' | 'newline' | 'eof';

/** A piece of a string literal: plain text, or the source of a `${expr}` to parse later. */
export type StringPart =
  | { kind: 'text'; text: string }
  | { kind: 'expr'; source: string; line: number; column: number };

export interface Token {
  kind: TokenKind;
  /** Source text; for identifiers, upper-cased (keywords and names are case-insensitive). */
  text: string;
  line: number;
  column: number;
  /** Identifiers only: the text as written, used for JSON field names. */
  raw?: string;
  number?: number;
  parts?: StringPart[];
}

export interface LexError {
  line: number;
  column: number;
  message: string;
}

const TWO_CHAR_OPS = new Set(['<>', '<=', '>=']);
const ONE_CHAR_OPS = new Set([
  ';',
  '+',
  '-',
  '*',
  '/',
  '\\',
  '^',
  '&',
  '=',
  '<',
  '>',
  '(',
  ')',
  '[',
  ']',
  ',',
  '.',
  ':',
  '{',
  '}',
]);

export function lex(source: string, startLine = 1, startColumn = 1): { tokens: Token[]; errors: LexError[] } {
  const tokens: Token[] = [];
  const errors: LexError[] = [];
  let i = 0;
  let line = startLine;
  let lineStart = 0;
  // Columns of the first line are shifted when lexing an interpolated `${...}` fragment.
  let columnShift = startColumn - 1;
  const col = (at: number) => at - lineStart + 1 + columnShift;
  const push = (kind: TokenKind, text: string, at: number, extra?: Partial<Token>) => {
    tokens.push({ kind, text, line, column: col(at), ...extra });
  };
  const newline = (at: number) => {
    const last = tokens[tokens.length - 1];
    if (last && last.kind !== 'newline') push('newline', '\n', at);
    line++;
    lineStart = at + 1;
    columnShift = 0;
  };

  while (i < source.length) {
    const c = source[i] as string;
    if (c === '\n') {
      newline(i);
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    // A trailing " _" continues the statement on the next line.
    if (c === '_' && /^_[ \t]*\r?\n/.test(source.slice(i, i + 4)) && /[ \t]/.test(source[i - 1] ?? ' ')) {
      const nl = source.indexOf('\n', i);
      line++;
      lineStart = nl + 1;
      columnShift = 0;
      i = nl + 1;
      continue;
    }
    if (c === "'") {
      while (i < source.length && source[i] !== '\n') i++;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(source[i + 1] ?? ''))) {
      const m = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(source.slice(i)) as RegExpExecArray;
      push('number', m[0], i, { number: Number(m[0]) });
      i += m[0].length;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i)) as RegExpExecArray;
      const word = m[0].toUpperCase();
      const atStatementStart = (() => {
        const last = tokens[tokens.length - 1];
        return !last || last.kind === 'newline' || (last.kind === 'op' && last.text === ':');
      })();
      if (word === 'BEGIN' && atStatementStart) {
        const block = textBlock(source, i, line);
        if (block) {
          for (const opener of block.opener) push('ident', opener, i, { raw: opener });
          tokens.push({
            kind: 'string',
            text: block.text,
            line: line + 1,
            column: 1,
            parts: block.parts,
          });
          if (!block.closed) {
            errors.push({
              line,
              column: col(i),
              message: `BEGIN ${block.opener.slice(1).join(' ')} is missing its END ${block.opener.slice(1).join(' ')}`,
            });
          }
          line = block.endLine;
          lineStart = block.end;
          columnShift = 0;
          i = block.end;
          // The END line is consumed with the block: the statement ends here.
          push('newline', '\n', i);
          continue;
        }
      }
      if (word === 'REM' && !/[A-Za-z0-9_]/.test(source[i + 3] ?? '')) {
        while (i < source.length && source[i] !== '\n') i++;
        continue;
      }
      push('ident', word, i, { raw: m[0] });
      i += m[0].length;
      continue;
    }
    if (c === '"') {
      const start = i;
      const startCol = col(i);
      i++;
      const parts: StringPart[] = [];
      let text = '';
      let closed = false;
      while (i < source.length && source[i] !== '\n') {
        const ch = source[i] as string;
        if (ch === '"') {
          if (source[i + 1] === '"') {
            text += '"';
            i += 2;
            continue;
          }
          closed = true;
          i++;
          break;
        }
        if (ch === '$' && source[i + 1] === '{') {
          const exprStart = i + 2;
          let depth = 1;
          let j = exprStart;
          let inner: string | null = null;
          while (j < source.length && source[j] !== '\n') {
            const cj = source[j];
            if (cj === '{') depth++;
            else if (cj === '}' && --depth === 0) break;
            else if (cj === '"' && source.indexOf('"', j + 1) !== -1) {
              // A quoted string inside the interpolation: "" escapes are not allowed there.
              const end = source.indexOf('"', j + 1);
              if (end === -1 || source.slice(j, end).includes('\n')) break;
              j = end;
            }
            j++;
          }
          if (source[j] === '}') inner = source.slice(exprStart, j);
          if (inner === null) {
            errors.push({ line, column: col(i), message: 'Unclosed "$' + '{" in text: add the closing "}"' });
            text += source.slice(i);
            i = source.indexOf('\n', i) === -1 ? source.length : source.indexOf('\n', i);
            break;
          }
          if (text) parts.push({ kind: 'text', text });
          text = '';
          parts.push({ kind: 'expr', source: inner, line, column: col(exprStart) });
          i = j + 1;
          continue;
        }
        text += ch;
        i++;
      }
      if (!closed) {
        errors.push({ line, column: startCol, message: 'Text is missing its closing quote (")' });
      }
      if (text || parts.length === 0) parts.push({ kind: 'text', text });
      push('string', source.slice(start, i), start, { parts });
      continue;
    }
    const two = source.slice(i, i + 2);
    if (TWO_CHAR_OPS.has(two)) {
      push('op', two, i);
      i += 2;
      continue;
    }
    if (ONE_CHAR_OPS.has(c)) {
      push('op', c, i);
      i++;
      continue;
    }
    errors.push({ line, column: col(i), message: `Unexpected character "${c}"` });
    i++;
  }
  const last = tokens[tokens.length - 1];
  if (last && last.kind !== 'newline') push('newline', '\n', i);
  tokens.push({ kind: 'eof', text: '', line, column: col(i) });
  return { tokens, errors };
}

const BLOCK_OPENER = /^BEGIN[ \t]+(TALK|SYSTEM[ \t]+PROMPT)[ \t]*(?:'[^\n]*)?\r?(?:\n|$)/i;

/**
 * BEGIN TALK / BEGIN SYSTEM PROMPT: the lines up to END TALK / END SYSTEM PROMPT are text, kept
 * as written (Markdown, quotes and apostrophes included) less their common indentation; `${expr}`
 * inside is interpolated as in a quoted string. Null when `at` does not open such a block.
 */
function textBlock(source: string, at: number, line: number) {
  const m = BLOCK_OPENER.exec(source.slice(at));
  if (!m) return null;
  const kind = (m[1] as string).toUpperCase().replace(/\s+/g, ' ');
  const opener = ['BEGIN', ...kind.split(' ')];
  const closing = new RegExp(`^[ \\t]*END[ \\t]+${kind.replace(' ', '[ \\t]+')}[ \\t]*\\r?$`, 'i');
  let pos = at + m[0].length;
  let endLine = line + 1;
  const lines: string[] = [];
  let closed = false;
  while (pos < source.length) {
    const nl = source.indexOf('\n', pos);
    const text = source.slice(pos, nl === -1 ? source.length : nl);
    pos = nl === -1 ? source.length : nl + 1;
    if (closing.test(text)) {
      closed = true;
      break;
    }
    lines.push(text.replace(/\r$/, ''));
    endLine++;
  }
  const indents = lines.filter((l) => l.trim()).map((l) => (/^[ \t]*/.exec(l) as RegExpExecArray)[0].length);
  const cut = indents.length ? Math.min(...indents) : 0;
  const body = lines.map((l) => l.slice(cut)).join('\n');
  return {
    opener,
    text: body,
    parts: interpolatedParts(body, line + 1, cut + 1),
    closed,
    end: pos,
    endLine: closed ? endLine + 1 : endLine,
  };
}

/** Splits text into plain parts and `${expr}` sources, with each expression's position. */
function interpolatedParts(text: string, firstLine: number, columnOffset: number): StringPart[] {
  const parts: StringPart[] = [];
  let plain = '';
  let line = firstLine;
  let lineStart = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '\n') {
      line++;
      lineStart = i + 1;
    }
    if (ch === '$' && text[i + 1] === '{') {
      const close = text.indexOf('}', i + 2);
      if (close !== -1 && !text.slice(i + 2, close).includes('\n')) {
        if (plain) parts.push({ kind: 'text', text: plain });
        plain = '';
        parts.push({
          kind: 'expr',
          source: text.slice(i + 2, close),
          line,
          column: i + 2 - lineStart + columnOffset,
        });
        i = close;
        continue;
      }
    }
    plain += ch;
  }
  if (plain || parts.length === 0) parts.push({ kind: 'text', text: plain });
  return parts;
}
