import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import {
  ArchiveRefused,
  buildZip,
  bytesToWrite,
  extractZip,
  fillTemplate,
  generatePdf,
  mergePdfs,
  pageCount,
} from '../../src/index.js';

// The zip and PDF work of the bot file keywords, on real archives and documents made here; what
// the keywords do through the services is tested in conversation and the workflow engine.

const text = (s: string) => new TextEncoder().encode(s);

describe('EXTRACT refuses what could harm, before anything is extracted', () => {
  it('extracts a plain archive under the folder, skipping folder entries', () => {
    const zip = zipSync({ 'a.txt': text('A'), 'sub/': new Uint8Array(), 'sub/b.csv': text('x,y\n1,2\n') });
    const files = extractZip(zip, 'out');
    expect(files.map((f) => [f.path, new TextDecoder().decode(f.bytes)])).toEqual([
      ['out/a.txt', 'A'],
      ['out/sub/b.csv', 'x,y\n1,2\n'],
    ]);
  });

  it.each([['../evil.txt'], ['a/../../evil.txt'], ['/etc/passwd'], ['C:/win.ini'], ['a\\b.txt']])(
    'an entry named %j',
    (name) => {
      const zip = zipSync({ 'ok.txt': text('fine'), [name]: text('bad') });
      expect(() => extractZip(zip, 'out')).toThrow(ArchiveRefused);
      expect(() => extractZip(zip, 'out')).toThrow(/nothing was extracted/);
    },
  );

  it('an archive of 100,000 entries, by its end record before any entry is read', () => {
    const entries: Record<string, Uint8Array> = {};
    for (let i = 0; i < 100_000; i++) entries[`f${i}`] = new Uint8Array();
    const zip = zipSync(entries, { level: 0 });
    // fflate writes no 64-bit end record, so the count stated is 100,000 modulo 65,536.
    expect(() => extractZip(zip, 'out')).toThrow(
      /^the archive has \d+ entries, more than the 1000 allowed; nothing was extracted$/,
    );
  }, 30_000);

  it('a bomb: one entry far larger than its compressed bytes, or more in all than allowed', () => {
    const zeros = new Uint8Array(2 * 1024 * 1024);
    const zip = zipSync({ 'zeros.bin': zeros }, { level: 9 });
    expect(zip.length).toBeLessThan(100_000);
    expect(() => extractZip(zip, 'out')).toThrow(/compressed more than 200 times/);
    expect(() =>
      extractZip(zipSync({ 'a.bin': new Uint8Array(3000), 'b.bin': new Uint8Array(3000) }), 'out', {
        maxEntries: 10,
        maxTotalBytes: 5000,
        maxRatio: 1_000_000,
      }),
    ).toThrow(/add up to more than 5000 bytes/);
  });

  it('an entry that inflates to more than it declares', () => {
    const zip = zipSync({ 'a.txt': text('x'.repeat(5000)) }, { level: 9 });
    // The central directory's uncompressed size (offset 24 of its header) says 10 bytes.
    const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
    for (let at = 0; at < zip.length - 4; at++)
      if (view.getUint32(at, true) === 0x02014b50) view.setUint32(at + 24, 10, true);
    expect(() => extractZip(zip, 'out')).toThrow(/"a.txt" does not inflate to what its header states/);
  });

  it('something that is not a zip', () => {
    expect(() => extractZip(text('hello'), 'out')).toThrow(
      'the file is not a zip archive; nothing was extracted',
    );
  });

  it('COMPRESS builds what EXTRACT reads back', () => {
    const zip = buildZip([
      { name: 'r/a.txt', bytes: text('one') },
      { name: 'b.txt', bytes: text('two') },
    ]);
    expect(extractZip(zip, '').map((f) => f.path)).toEqual(['r/a.txt', 'b.txt']);
  });
});

describe('GENERATE PDF and MERGE PDF', () => {
  it('fills placeholders, rows as an aligned table, HTML as text', () => {
    expect(
      fillTemplate('# Sales {{ month }}\n{{rows}}\nTotal: {{totals.sum}} {{missing}}', {
        month: 'May',
        rows: [
          { region: 'north', total: 1200 },
          { region: 'south', total: 80 },
        ],
        totals: { sum: 1280 },
      }),
    ).toBe('# Sales May\nregion  total\n------  -----\nnorth   1200\nsouth   80\nTotal: 1280 ');
    expect(fillTemplate('<h1>Hi {{name}}</h1><p>a &amp; b</p>', { name: 'Ana' })).toBe('# Hi Ana\na & b\n');
  });

  it('a long report breaks into pages; merging adds the pages up', async () => {
    const one = await generatePdf('# Report\n{{lines}}', {
      lines: Array.from({ length: 120 }, (_, i) => `line ${i}`),
    });
    expect(one.pages).toBe(3);
    expect(await pageCount(one.bytes)).toBe(3);
    const two = await generatePdf('Page A\n---page---\nPage B — ✓ drawn as ?', {});
    expect(two.pages).toBe(2);
    const merged = await mergePdfs([
      { name: 'one.pdf', bytes: one.bytes },
      { name: 'two.pdf', bytes: two.bytes },
    ]);
    expect(merged.pages).toBe(5);
    expect(await pageCount(merged.bytes)).toBe(5);
    await expect(mergePdfs([{ name: 'x.pdf', bytes: text('not a pdf') }])).rejects.toThrow(
      /"x.pdf" is not a PDF that can be read/,
    );
  }, 30_000);
});

describe('WRITE', () => {
  it('writes text as it is, rows as CSV for a .csv path, other data as JSON', () => {
    expect(bytesToWrite('a.txt', 'héllo').toString('utf8')).toBe('héllo');
    expect(
      bytesToWrite('r.csv', [
        { name: 'Ana', total: 3 },
        { name: 'Rui, Jr', total: 4.5, note: 'x' },
      ]).toString('utf8'),
    ).toBe('name,total,note\r\nAna,3,\r\n"Rui, Jr",4.5,x\n');
    expect(bytesToWrite('d.json', { a: [1] }).toString('utf8')).toBe('{\n  "a": [\n    1\n  ]\n}');
  });
});
