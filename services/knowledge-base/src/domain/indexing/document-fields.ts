/**
 * How a document's text is split into the fields search ranks (text-leg.ts): the lead (its first
 * characters) and the body after it.
 */

/**
 * The lead of a document: its first characters (to the next word boundary), where a title, a
 * summary or a manual page's NAME line says what the document is about. Search ranks it as a
 * field of its own (text-leg.ts) and weighs it more when choosing a passage (weight B in the
 * chunks' text search vectors). Migration 0005 repeats the 300.
 */
export const LEAD_CHARS = 300;

/**
 * How far a cut looks for whitespace before it cuts a word (text without spaces: data, code).
 * Migration 0005 cuts the lead the same way (`\S{0,250}`: 255 is Postgres's largest repeat).
 */
const LONGEST_WORD = 250;

/** Where to cut `text` at or after `at` without splitting a word: its first whitespace there. */
function cutAt(text: string, at: number): number {
  if (text.length <= at) return text.length;
  const whitespace = /\s/g;
  whitespace.lastIndex = at;
  const found = whitespace.exec(text);
  return found && found.index - at <= LONGEST_WORD ? found.index : Math.min(text.length, at + LONGEST_WORD);
}

/** Where the lead ends in `text`: the first whitespace at or after LEAD_CHARS. */
export const leadEnd = (text: string): number => cutAt(text, LEAD_CHARS);
