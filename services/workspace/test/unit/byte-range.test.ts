import { describe, expect, it } from 'vitest';
import { parseRange } from '../../src/domain/media/byte-range.js';

describe('parseRange', () => {
  it('reads one range, a range to the end and a suffix', () => {
    expect(parseRange('bytes=0-9', 100)).toEqual({ kind: 'partial', start: 0, end: 9 });
    expect(parseRange('bytes=90-', 100)).toEqual({ kind: 'partial', start: 90, end: 99 });
    expect(parseRange('bytes=-10', 100)).toEqual({ kind: 'partial', start: 90, end: 99 });
    expect(parseRange('bytes=-500', 100)).toEqual({ kind: 'partial', start: 0, end: 99 });
    expect(parseRange('bytes=95-200', 100)).toEqual({ kind: 'partial', start: 95, end: 99 });
  });

  it('sends the whole file for no header or one it does not take', () => {
    for (const header of [
      undefined,
      'bytes=5-2',
      'bytes=-',
      'items=0-1',
      'bytes=0-1,5-6',
      'bytes=abc',
      'bytes=99999999999999999999-',
    ])
      expect(parseRange(header, 100), String(header)).toEqual({ kind: 'full' });
  });

  it('cannot satisfy a range past the end, an empty suffix, or any range of an empty file', () => {
    expect(parseRange('bytes=100-', 100)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-0', 100)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=0-0', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-5', 0)).toEqual({ kind: 'unsatisfiable' });
  });
});
