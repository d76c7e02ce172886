import { DomainError } from '@conduit/errors';

/**
 * Where a client's sync stands: per sync scope (the caller's own rows, and each team's), the
 * change sequence of the last change it was given. Writers of one scope take their sequence
 * numbers one transaction at a time (stamp_change holds a lock of the scope to the commit), so in a
 * scope the sequence is the commit order and "after the cursor" can never pass over a change that
 * commits late. Across scopes there is no such order, hence one position per scope rather than
 * one for all.
 */
export type SyncCursor = Record<string, number>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const encodeCursor = (cursor: SyncCursor) => Buffer.from(JSON.stringify(cursor)).toString('base64url');

/** The cursor a sync gave (none: from the start); throws bad_request for anything else. */
export function decodeCursor(text: string | undefined): SyncCursor {
  if (text === undefined || text === '') return {};
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const entries = Object.entries(value);
      if (
        entries.every(([scope, seq]) => UUID.test(scope) && Number.isSafeInteger(seq) && (seq as number) >= 0)
      )
        return Object.fromEntries(entries) as SyncCursor;
    }
  } catch {
    // Falls through to the refusal below.
  }
  throw new DomainError(
    'bad_request',
    'The since cursor is not one a sync gave; sync from the start without it.',
  );
}
