import { type Embedder, normalise } from './embedder.js';

/**
 * The built-in embedder: no network, no model, deterministic. Each word is reduced to a crude stem
 * and hashed into a fixed number of dimensions, together with the character trigrams of that stem
 * (so "copy", "copies" and "copying" land close together). It does not know synonyms; it finds
 * passages that share word stems with the question, which is what the vector leg of hybrid search
 * needs when the full-text leg misses a word form.
 */
export const LOCAL_DIMENSIONS = 256;
export const LOCAL_MODEL = 'local-hash-256';

const STOPWORDS = new Set(
  (
    'a an and are as at be by can do does for from how i if in into is it its me my of on or ' +
    'so that the their then there these this to was what when where which who why will with you your'
  ).split(' '),
);

/** A light suffix stripper: good enough to make word forms meet, not a linguist. */
export function stem(word: string): string {
  let w = word;
  if (w.length > 4 && w.endsWith('ies')) w = `${w.slice(0, -3)}y`;
  else if (w.length > 4 && /(sses|xes|ches|shes)$/.test(w)) w = w.slice(0, -2);
  else if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss') && !w.endsWith('us')) w = w.slice(0, -1);
  for (const suffix of ['ingly', 'ation', 'ement', 'ness', 'ment', 'ing', 'ed', 'ly', 'er']) {
    if (w.length - suffix.length >= 3 && w.endsWith(suffix)) {
      w = w.slice(0, -suffix.length);
      break;
    }
  }
  if (w.length > 3 && /([b-df-hj-np-tv-z])\1$/.test(w)) w = w.slice(0, -1);
  if (w.length > 3 && w.endsWith('e')) w = w.slice(0, -1);
  return w;
}

/** FNV-1a, 32 bits. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function embedLocally(text: string, dimensions = LOCAL_DIMENSIONS): number[] {
  const counts = new Map<string, number>();
  const add = (feature: string, weight: number) => counts.set(feature, (counts.get(feature) ?? 0) + weight);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    if (word.length < 2 || STOPWORDS.has(word)) continue;
    const s = stem(word);
    add(`w:${s}`, 1);
    const padded = `^${s}$`;
    for (let i = 0; i + 3 <= padded.length; i++) add(`t:${padded.slice(i, i + 3)}`, 0.25);
  }
  const vector = new Array<number>(dimensions).fill(0);
  for (const [feature, count] of counts) {
    const h = hash(feature);
    // Sublinear term frequency: a word said ten times is not ten times as relevant.
    vector[h % dimensions]! += (h & 0x80000000 ? -1 : 1) * (1 + Math.log(count));
  }
  return normalise(vector);
}

export class LocalEmbedder implements Embedder {
  readonly id = `local:${LOCAL_MODEL}`;

  async embed(texts: string[]): Promise<number[][]> {
    return texts.map((text) => embedLocally(text));
  }
}
