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

/*
 * What a word adds to a text's vector depends on the word alone, so it is worked out once per
 * distinct word and kept: the ids of its features (its stem, then the stem's trigrams), each id
 * standing for one feature string and its hash. Embedding a text then only counts ids: stemming,
 * building the feature strings, hashing them and counting by string were half the embedder's time
 * (75 -> 40 µs a chunk of the man pages, which repeat their words, as overlapping chunks do). The vectors are
 * exactly those of counting feature strings: a feature's count is the same sum, and features are
 * added to the vector in the order they first occur, as before.
 */
const featureIds = new Map<string, number>();
const featureHashes: number[] = [];
/** A word's feature ids, the first its stem's (weight 1), the rest trigrams (0.25); null: skipped. */
const wordFeatures = new Map<string, number[] | null>();
/** Words kept before the cache starts over, a few MB (the manual-page corpus has 51,000 distinct words). */
const CACHED_WORDS = 50_000;

function featureId(feature: string): number {
  let id = featureIds.get(feature);
  if (id === undefined) {
    id = featureHashes.length;
    featureIds.set(feature, id);
    featureHashes.push(hash(feature));
  }
  return id;
}

function featuresOf(word: string): number[] | null {
  let ids = wordFeatures.get(word);
  if (ids !== undefined) return ids;
  if (word.length < 2 || STOPWORDS.has(word)) ids = null;
  else {
    const s = stem(word);
    ids = [featureId(`w:${s}`)];
    const padded = `^${s}$`;
    for (let i = 0; i + 3 <= padded.length; i++) ids.push(featureId(`t:${padded.slice(i, i + 3)}`));
  }
  wordFeatures.set(word, ids);
  return ids;
}

/** Each feature's count in the text being embedded, by id (0: not seen); zeroed after each text. */
let countOf = new Float64Array(1 << 14);

export function embedLocally(text: string, dimensions = LOCAL_DIMENSIONS): number[] {
  // Ids stay valid for the whole text: the cache only starts over between texts.
  if (wordFeatures.size > CACHED_WORDS) {
    wordFeatures.clear();
    featureIds.clear();
    featureHashes.length = 0;
  }
  /** Feature ids in the order they first occur in the text. */
  const seen: number[] = [];
  const add = (id: number, weight: number) => {
    if (id >= countOf.length) {
      const larger = new Float64Array(Math.max(id + 1, countOf.length * 2));
      larger.set(countOf);
      countOf = larger;
    }
    if (countOf[id] === 0) seen.push(id);
    countOf[id]! += weight;
  };
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    const ids = featuresOf(word);
    if (!ids) continue;
    add(ids[0]!, 1);
    for (let i = 1; i < ids.length; i++) add(ids[i]!, 0.25);
  }
  const vector = new Array<number>(dimensions).fill(0);
  for (const id of seen) {
    const h = featureHashes[id]!;
    // Sublinear term frequency: a word said ten times is not ten times as relevant.
    vector[h % dimensions]! += (h & 0x80000000 ? -1 : 1) * (1 + Math.log(countOf[id]!));
    countOf[id] = 0;
  }
  return normalise(vector);
}

export class LocalEmbedder implements Embedder {
  readonly id = `local:${LOCAL_MODEL}`;

  async embed(texts: string[]): Promise<number[][]> {
    return texts.map((text) => embedLocally(text));
  }
}
