import { describe, expect, it } from 'vitest';
import { normalise } from '../../src/domain/embeddings/embedder.js';
import { embedLocally, stem } from '../../src/domain/embeddings/local-embedder.js';
import { readManPages } from '../fixtures/manpages.js';

// The built-in embedder as it was first written: every feature string built and hashed for every
// word of every text. The one that caches each word's features must give exactly these vectors
// (stored embeddings, and so search, stay the same).
const STOPWORDS = new Set(
  (
    'a an and are as at be by can do does for from how i if in into is it its me my of on or ' +
    'so that the their then there these this to was what when where which who why will with you your'
  ).split(' '),
);
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
function referenceEmbedding(text: string, dimensions = 256): number[] {
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
    const h = fnv1a(feature);
    vector[h % dimensions]! += (h & 0x80000000 ? -1 : 1) * (1 + Math.log(count));
  }
  return normalise(vector);
}

describe('embedLocally', () => {
  it('gives exactly the vectors of counting every feature string, text after text', async () => {
    const pages = await readManPages();
    const texts = pages.flatMap((page) => page.text.split(/\n\s*\n/)).filter((text) => text.trim());
    expect(texts.length).toBeGreaterThan(5_000);
    for (const text of texts) expect(embedLocally(text)).toEqual(referenceEmbedding(text));
    // More distinct words than the cache keeps: it starts over before the next text.
    const manyWords = Array.from({ length: 60_000 }, (_, i) => `w${i.toString(36)}`).join(' ');
    expect(embedLocally(manyWords)).toEqual(referenceEmbedding(manyWords));
    for (const text of texts.slice(0, 200)) expect(embedLocally(text)).toEqual(referenceEmbedding(text));
    for (const text of texts.slice(0, 200))
      expect(embedLocally(text, 64)).toEqual(referenceEmbedding(text, 64));
  });

  it('counts repeated words, trigrams repeated within a word, and skips stop words and single letters', () => {
    for (const text of [
      'copy copies copying copied COPY',
      'aaaa aaaa baaaab',
      'the a i x y and zz',
      'Straße naïve 東京 42 42 v2',
      '',
    ])
      expect(embedLocally(text)).toEqual(referenceEmbedding(text));
  });
});
