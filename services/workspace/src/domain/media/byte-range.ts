/** What a request's Range header asks of a file of `size` bytes (RFC 9110 §14). */
export type RangeAnswer =
  | { kind: 'full' }
  | { kind: 'partial'; start: number; end: number }
  | { kind: 'unsatisfiable' };

const SINGLE_RANGE = /^bytes=(\d*)-(\d*)$/;

/**
 * One byte range, both ends included. A header that is not one well-formed range (several ranges,
 * another unit, `bytes=5-2`) is ignored and the whole file is sent, as RFC 9110 allows; a range
 * that starts past the end, or any range of an empty file, cannot be satisfied (416).
 */
export function parseRange(header: string | undefined, size: number): RangeAnswer {
  if (header === undefined) return { kind: 'full' };
  const match = SINGLE_RANGE.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return { kind: 'full' };
  const first = match[1] === '' ? undefined : Number(match[1]);
  const last = match[2] === '' ? undefined : Number(match[2]);
  if (!Number.isSafeInteger(first ?? 0) || !Number.isSafeInteger(last ?? 0)) return { kind: 'full' };
  if (first === undefined) {
    // A suffix: the last `last` bytes.
    if (last === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - last!), end: size - 1 };
  }
  if (last !== undefined && last < first) return { kind: 'full' };
  if (first >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start: first, end: Math.min(last ?? size - 1, size - 1) };
}
