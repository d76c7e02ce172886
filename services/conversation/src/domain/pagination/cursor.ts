import { DomainError } from '@conduit/service-kit';

/** Keyset cursors: the (timestamp, id) of the last item of a page, opaque to clients. */
export const encodeCursor = (at: Date, id: string) =>
  Buffer.from(`${at.toISOString()}|${id}`).toString('base64url');

export function decodeCursor(cursor: string | undefined): { at: Date; id: string } | undefined {
  if (!cursor) return undefined;
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const date = new Date(at ?? '');
  if (!id || Number.isNaN(date.getTime()) || !/^[0-9a-f-]{36}$/i.test(id))
    throw new DomainError('bad_request', 'The cursor is not one this list gave out.');
  return { at: date, id };
}
