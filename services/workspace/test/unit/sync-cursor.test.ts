import { randomUUID } from 'node:crypto';
import { DomainError } from '@conduit/errors';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../src/domain/sync/sync-cursor.js';

describe('sync cursors', () => {
  it('round-trip a position per scope', () => {
    const cursor = { [randomUUID()]: 12, [randomUUID()]: 0 };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
    expect(decodeCursor(undefined)).toEqual({});
  });

  it('refuse anything a sync did not give', () => {
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    for (const text of [
      '%%%',
      encode([1]),
      encode({ 'not-a-uuid': 1 }),
      encode({ [randomUUID()]: -1 }),
      encode({ [randomUUID()]: '3' }),
      encode({ [randomUUID()]: 2 ** 60 }),
    ])
      expect(() => decodeCursor(text), text).toThrow(DomainError);
  });
});
