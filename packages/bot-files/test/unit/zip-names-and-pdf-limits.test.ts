import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { extractZip, generatePdf, mergePdfs, pageCount } from '../../src/index.js';

// Names as zip writers write them, and the limits that keep GENERATE PDF and MERGE PDF from
// holding the event loop or the memory of the host that runs a script.

const text = (s: string) => new TextEncoder().encode(s);

/** A zip whose one entry's name has `byte` where `marker` stands, with the UTF-8 flag unset. */
function zipWithRawNameByte(name: string, marker: string, byte: number): Uint8Array {
  const zip = zipSync({ [name]: text('contents') });
  const ascii = text(name);
  const at = name.indexOf(marker);
  let patched = 0;
  for (let i = 0; i + ascii.length <= zip.length; i++) {
    if (ascii.every((b, j) => zip[i + j] === b)) {
      zip[i + at] = byte;
      patched += 1;
    }
  }
  expect(patched).toBe(2); // the local header and the central directory
  return zip;
}

describe('EXTRACT reads names as their writer meant them', () => {
  it('a CP437 name (no UTF-8 flag) with "é" is extracted under its name, not refused as forged', () => {
    const zip = zipWithRawNameByte('cafX.txt', 'X', 0x82);
    const files = extractZip(zip, 'in');
    expect(files.map((f) => [f.path, new TextDecoder().decode(f.bytes)])).toEqual([
      ['in/café.txt', 'contents'],
    ]);
  });

  it('a UTF-8 name, flagged or not', () => {
    const flagged = zipSync({ 'naïve.txt': text('a') });
    expect(extractZip(flagged, 'x').map((f) => f.path)).toEqual(['x/naïve.txt']);
    // "é" as UTF-8 bytes without the flag, as macOS writes it.
    const zip = zipSync({ 'cafXY.txt': text('b') });
    const name = text('cafXY.txt');
    for (let i = 0; i + name.length <= zip.length; i++)
      if (name.every((b, j) => zip[i + j] === b)) {
        zip[i + 3] = 0xc3;
        zip[i + 4] = 0xa9;
      }
    expect(extractZip(zip, 'x').map((f) => f.path)).toEqual(['x/café.txt']);
  });
});

describe('GENERATE PDF and MERGE PDF within limits', () => {
  it('a line of 100,000 characters without a space is wrapped in linear time', async () => {
    const started = performance.now();
    const pdf = await generatePdf('{{line}}', { line: 'x'.repeat(100_000) });
    expect(performance.now() - started).toBeLessThan(5000);
    // Courier 10pt on A4 with 50pt margins: 82 characters a line, 57 lines a page.
    expect(pdf.pages).toBe(Math.ceil(Math.ceil(100_000 / 82) / 57));
    expect(await pageCount(pdf.bytes)).toBe(pdf.pages);
  });

  it('wraps at spaces, and a heading in a proportional font too', async () => {
    const words = Array.from({ length: 5000 }, (_, i) => `word${i}`).join(' ');
    const pdf = await generatePdf(`# ${'W'.repeat(20_000)}\n${words}`, {});
    expect(pdf.pages).toBeGreaterThan(1);
  });

  it('a filled template larger than allowed is refused before any page is made', async () => {
    await expect(generatePdf('{{big}}', { big: 'y'.repeat(2_000) }, { maxChars: 1000 })).rejects.toThrow(
      /more than 1000 characters/,
    );
    await expect(generatePdf('{{big}}', { big: 'y'.repeat(1_000_001) })).rejects.toThrow(
      /more than 1000000 characters/,
    );
    await expect(generatePdf('x\n---page---\n'.repeat(20), {}, { maxPages: 10 })).rejects.toThrow(
      /more than 10 pages/,
    );
  });

  it('PDFs adding up to more bytes than allowed are not merged', async () => {
    const one = await generatePdf('one', {});
    await expect(
      mergePdfs(
        [
          { name: 'a.pdf', bytes: one.bytes },
          { name: 'b.pdf', bytes: one.bytes },
        ],
        { maxBytes: one.bytes.length * 2 - 1 },
      ),
    ).rejects.toThrow(/add up to more than/);
    const merged = await mergePdfs(
      [
        { name: 'a.pdf', bytes: one.bytes },
        { name: 'b.pdf', bytes: one.bytes },
      ],
      { maxBytes: one.bytes.length * 2 },
    );
    expect(merged.pages).toBe(2);
  });
});
