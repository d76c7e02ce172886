import { describe, expect, it } from 'vitest';
import { contentDisposition, displayName } from '../../src/domain/media/display-name.js';

describe('displayName', () => {
  it('keeps only the last path segment, without control or direction characters', () => {
    expect(displayName('../../etc/passwd')).toBe('passwd');
    expect(displayName('..\\..\\windows\\win.ini')).toBe('win.ini');
    expect(displayName('report\u0000.pdf')).toBe('report.pdf');
    expect(displayName('invoice\u202egnp.exe')).toBe('invoicegnp.exe');
    expect(displayName('  notes.txt  ')).toBe('notes.txt');
  });

  it('names what has no name left "file", and bounds the length', () => {
    for (const name of [undefined, '', '..', '/', 'dir/', '\u0001'])
      expect(displayName(name), String(name)).toBe('file');
    expect([...displayName('é'.repeat(400))]).toHaveLength(255);
  });
});

describe('contentDisposition', () => {
  it('gives an ASCII fallback and the exact name percent-encoded', () => {
    expect(contentDisposition('attachment', 'résumé "final".pdf')).toBe(
      `attachment; filename="r_sum_ _final_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.pdf`,
    );
  });
});
