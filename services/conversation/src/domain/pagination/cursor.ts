import { DomainError } from '@conduit/errors';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Keyset cursors: the (timestamp, id) of the last item of a page, opaque to clients. */
export const encodeCursor = (at: Date, id: string) =>
  Buffer.from(`${at.toISOString()}|${id}`).toString('base64url');

export function decodeCursor(cursor: string | undefined): { at: Date; id: string } | undefined {
  if (!cursor) return undefined;
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const date = new Date(at ?? '');
  // Exactly what encodeCursor writes: anything else could still be a Date or look like an id,
  // yet be a time or uuid Postgres refuses.
  const exact =
    /^(?!0000)\d{4}-/.test(at ?? '') && !Number.isNaN(date.getTime()) && date.toISOString() === at;
  if (!exact || !id || !UUID.test(id))
    throw new DomainError('bad_request', 'The cursor is not one this list gave out.');
  return { at: date, id };
}
