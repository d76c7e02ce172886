import { describe, expect, it } from 'vitest';
import { chunkText, estimateTokens } from '../../src/domain/chunking/chunk-text.js';
import { embedLocally, stem } from '../../src/domain/embeddings/local-embedder.js';

describe('chunkText', () => {
  const manPage = [
    'LS(1)                          User Commands                          LS(1)',
    '',
    'NAME',
    '       ls - list directory contents',
    '',
    'DESCRIPTION',
    ...Array.from(
      { length: 60 },
      (_, i) => `       -${i}     option number ${i} changes how the listing looks in some way\n`,
    ),
    'SEE ALSO',
    '       dir(1)',
  ].join('\n');

  it('cuts at UPPERCASE and markdown headings, keeping the heading path and exact offsets', () => {
    const chunks = chunkText(manPage, { chunkSize: 120, overlap: 20 });
    expect(chunks.map((c) => c.headingPath[0] ?? '')).toEqual(
      expect.arrayContaining(['NAME', 'DESCRIPTION', 'SEE ALSO']),
    );
    for (const chunk of chunks) {
      expect(manPage.slice(chunk.charStart, chunk.charEnd)).toBe(chunk.content);
      expect(chunk.tokenCount).toBeLessThanOrEqual(120 + 20);
    }
    const description = chunks.filter((c) => c.headingPath[0] === 'DESCRIPTION');
    expect(description.length).toBeGreaterThan(2);
    // Consecutive chunks of a section overlap.
    expect(description[1]!.charStart).toBeLessThan(description[0]!.charEnd);

    const markdown = '# Guide\n\nIntro.\n\n## Install\n\nRun the installer.\n\n## Use\n\nClick start.';
    expect(chunkText(markdown, { chunkSize: 500, overlap: 50 }).map((c) => c.headingPath)).toEqual([
      ['Guide'],
      ['Guide', 'Install'],
      ['Guide', 'Use'],
    ]);
  });

  it('splits a paragraph, even a single line, that is larger than a chunk', () => {
    const line = Array.from({ length: 2000 }, (_, i) => `w${i}`).join(' ');
    const chunks = chunkText(line, { chunkSize: 100, overlap: 0 });
    expect(chunks.length).toBeGreaterThan(15);
    expect(chunks.every((c) => c.tokenCount <= 100)).toBe(true);
    expect(chunks.map((c) => c.content).join(' ')).toBe(line);
    expect(estimateTokens('one two three')).toBe(4);
  });
});

describe('the local embedder', () => {
  it('is deterministic, unit length, and puts word forms close together', () => {
    const a = embedLocally('copying directories recursively');
    expect(embedLocally('copying directories recursively')).toEqual(a);
    expect(Math.hypot(...a)).toBeCloseTo(1, 6);
    const dot = (x: number[], y: number[]) => x.reduce((sum, v, i) => sum + v * y[i]!, 0);
    expect(dot(a, embedLocally('copy a directory'))).toBeGreaterThan(dot(a, embedLocally('print the date')));
    expect(stem('copies')).toBe(stem('copy'));
    expect(stem('directories')).toBe(stem('directory'));
  });
});
