import { DomainError } from '@conduit/errors';

/**
 * Where a client's sync stands: the change stamp (writing transaction id, change sequence) of the
 * last change it was given. Every synced row and tombstone is stamped on each write, and the sync
 * answers only changes of transactions older than every transaction still running (the
 * snapshot's xmin), ordered by that stamp. A sequence alone would not do: a transaction that took
 * sequence 10 may commit after one that took 11, and a client that had been given 11 would never
 * see 10. Any transaction that can still write gets an id above the snapshot's xmin, so everything
 * a client has not seen sorts after its cursor.
 */
export interface SyncCursor {
  xid: string;
  seq: string;
}

export const START: SyncCursor = { xid: '0', seq: '0' };

const DIGITS = /^\d{1,20}$/;

export const encodeCursor = (cursor: SyncCursor) =>
  Buffer.from(JSON.stringify({ x: cursor.xid, s: cursor.seq })).toString('base64url');

/** The cursor a sync gave; throws bad_request for anything else. */
export function decodeCursor(text: string | undefined): SyncCursor {
  if (text === undefined || text === '') return START;
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    if (value && typeof value === 'object') {
      const { x, s } = value as { x?: unknown; s?: unknown };
      if (typeof x === 'string' && typeof s === 'string' && DIGITS.test(x) && DIGITS.test(s)) {
        if (BigInt(x) < 2n ** 63n && BigInt(s) < 2n ** 63n) return { xid: x, seq: s };
      }
    }
  } catch {
    // Falls through to the refusal below.
  }
  throw new DomainError(
    'bad_request',
    'The since cursor is not one a sync gave; sync from the start without it.',
  );
}

/** Orders stamps as the database does: by transaction id, then by sequence. */
export function compareStamps(a: SyncCursor, b: SyncCursor): number {
  const x = BigInt(a.xid) - BigInt(b.xid);
  if (x !== 0n) return x < 0n ? -1 : 1;
  const s = BigInt(a.seq) - BigInt(b.seq);
  return s === 0n ? 0 : s < 0n ? -1 : 1;
}
