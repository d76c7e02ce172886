import { convert as htmlToText } from 'html-to-text';
import mammoth from 'mammoth';
import Papa from 'papaparse';
import { extractText as extractPdfText, getDocumentProxy } from 'unpdf';
import type { SupportedMediaType } from './media-types.js';

/** The file cannot be read as what it claims to be; retrying will not help. */
export class ExtractionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExtractionError';
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeText(bytes: Buffer, kind: string): string {
  if (bytes.includes(0)) throw new ExtractionError(`the ${kind} file contains binary data, not text`);
  try {
    return utf8.decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    throw new ExtractionError(`the ${kind} file is not valid UTF-8 text`);
  }
}

const html = (markup: string) =>
  htmlToText(markup, {
    wordwrap: false,
    selectors: [
      { selector: 'a', options: { ignoreHref: true } },
      { selector: 'img', format: 'skip' },
      { selector: 'script', format: 'skip' },
      { selector: 'style', format: 'skip' },
    ],
  });

/** `a.b[0].c: value` lines: every leaf of a JSON document with the path that leads to it. */
function flattenJson(value: unknown, path: string, out: string[]) {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) flattenJson(item, `${path}[${i}]`, out);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) flattenJson(item, path ? `${path}.${key}` : key, out);
  } else out.push(`${path || '(value)'}: ${String(value)}`);
}

/**
 * The plain text of a document. Headings survive as lines a chunker recognises: markdown keeps its
 * `#` lines, HTML and DOCX headings come out UPPERCASE (as manual pages write them).
 * Throws ExtractionError for a corrupt file or one without text.
 */
export async function extractText(bytes: Buffer, mediaType: SupportedMediaType): Promise<string> {
  const text = await extract(bytes, mediaType);
  const trimmed = text.replace(/\r\n?/g, '\n').trim();
  if (!trimmed) throw new ExtractionError('the document contains no text');
  return trimmed;
}

async function extract(bytes: Buffer, mediaType: SupportedMediaType): Promise<string> {
  switch (mediaType) {
    case 'text/plain':
    case 'text/markdown':
      return decodeText(bytes, 'text');
    case 'text/html':
      return html(decodeText(bytes, 'HTML'));
    case 'application/json': {
      let value: unknown;
      try {
        value = JSON.parse(decodeText(bytes, 'JSON'));
      } catch (error) {
        if (error instanceof ExtractionError) throw error;
        throw new ExtractionError(`the JSON file does not parse: ${(error as Error).message}`);
      }
      const lines: string[] = [];
      flattenJson(value, '', lines);
      return lines.join('\n');
    }
    case 'text/csv': {
      const parsed = Papa.parse<Record<string, string>>(decodeText(bytes, 'CSV'), {
        header: true,
        skipEmptyLines: true,
      });
      const fatal = parsed.errors.find((e) => e.type === 'Quotes' || e.type === 'Delimiter');
      if (fatal)
        throw new ExtractionError(`the CSV file does not parse: ${fatal.message} (row ${fatal.row})`);
      return parsed.data
        .map((row) =>
          Object.entries(row)
            .filter(([, value]) => value !== undefined && value !== '')
            .map(([key, value]) => `${key}: ${Array.isArray(value) ? value.join(', ') : value}`)
            .join('; '),
        )
        .join('\n');
    }
    case 'application/pdf': {
      try {
        const pdf = await getDocumentProxy(new Uint8Array(bytes));
        const { text } = await extractPdfText(pdf, { mergePages: false });
        return text.join('\n\n');
      } catch (error) {
        throw new ExtractionError(`the PDF file cannot be read: ${(error as Error).message}`);
      }
    }
    case 'application/vnd.openxmlformats-officedocument.wordprocessingml.document': {
      try {
        const { value } = await mammoth.convertToHtml({ buffer: bytes });
        return html(value);
      } catch (error) {
        throw new ExtractionError(`the DOCX file cannot be read: ${(error as Error).message}`);
      }
    }
  }
}
