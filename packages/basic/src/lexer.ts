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
