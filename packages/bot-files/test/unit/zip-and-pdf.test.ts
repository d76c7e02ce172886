import { unzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { bytesToWrite } from '../../src/bot-file-keywords.js';
import { fillTemplate, generatePdf, mergePdfs, pageCount } from '../../src/pdf-documents.js';
import { ArchiveRefused, buildZip, extractZip } from '../../src/zip-archives.js';

// The zip and PDF work of the bot file keywords, on real archives and documents made here; what
// the keywords do through the services is tested in conversation and the workflow engine.

const text = (s: string) => new TextEncoder().encode(s);

function writeAscii(bytes: Uint8Array, at: number, ascii: string): void {
  for (let i = 0; i < ascii.length; i++) bytes[at + i] = ascii.charCodeAt(i);
}

/**
 * A zip of `count` empty, stored entries named f0, f1, ..., written header by header: fflate's
 * zipSync takes about 2 CPU-seconds for 100,000 entries, this a few milliseconds. Like fflate, it
 * writes no 64-bit end record, so the count its end record states is `count` modulo 65,536.
 */
function zipOfEmptyEntries(count: number): Uint8Array {
  const names = Array.from({ length: count }, (_, i) => `f${i}`); // ASCII: one byte a character
  const namesLength = names.reduce((sum, name) => sum + name.length, 0);
  const directoryAt = 30 * count + namesLength;
  const directorySize = 46 * count + namesLength;
  const zip = new Uint8Array(directoryAt + directorySize + 22);
  const view = new DataView(zip.buffer);
  const dosDate = (0 << 9) | (1 << 5) | 1; // 1980-01-01, the first date a zip can hold
  let local = 0;
  let central = directoryAt;
  for (const name of names) {
    // Local header: signature, version 2.0, no flags, stored, time and date, then crc 0 and both
    // sizes 0 (the zeros the array starts with), the name's length, no extra field.
    view.setUint32(local, 0x04034b50, true);
    view.setUint16(local + 4, 20, true);
    view.setUint16(local + 12, dosDate, true);
    view.setUint16(local + 26, name.length, true);
    writeAscii(zip, local + 30, name);
    // Central directory header: the same, plus where the local header is.
    view.setUint32(central, 0x02014b50, true);
    view.setUint16(central + 4, 20, true);
    view.setUint16(central + 6, 20, true);
    view.setUint16(central + 14, dosDate, true);
    view.setUint16(central + 28, name.length, true);
    view.setUint32(central + 42, local, true);
    writeAscii(zip, central + 46, name);
    local += 30 + name.length;
    central += 46 + name.length;
  }
  view.setUint32(central, 0x06054b50, true);
  view.setUint16(central + 8, count % 65_536, true);
  view.setUint16(central + 10, count % 65_536, true);
  view.setUint32(central + 12, directorySize, true);
  view.setUint32(central + 16, directoryAt, true);
  return zip;
}

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
    // The archive written by hand is one fflate reads, entry by entry, and one EXTRACT accepts.
    expect(Object.keys(unzipSync(zipOfEmptyEntries(3)))).toEqual(['f0', 'f1', 'f2']);
    expect(extractZip(zipOfEmptyEntries(3), 'out').map((f) => f.path)).toEqual([
      'out/f0',
      'out/f1',
      'out/f2',
    ]);
    // Its end record states 100,000 modulo 65,536 entries, as fflate's own would.
    expect(() => extractZip(zipOfEmptyEntries(100_000), 'out')).toThrow(
      /^the archive has 34464 entries, more than the 1000 allowed; nothing was extracted$/,
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
