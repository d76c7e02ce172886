import { randomUUID } from 'node:crypto';
import { ObjectNotFoundError } from './object-store.js';

/**
 * Keys are `<two hex digits>/<uuid>`: random, spread over 256 directories (so no directory of the
 * local driver grows without bound), and made of nothing a caller chose.
 */
const KEY = /^[0-9a-f]{2}\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function newObjectKey(): string {
  const id = randomUUID();
  return `${id.slice(0, 2)}/${id}`;
}

/** The key, if it is one the store could have made; a key it never makes is simply not there. */
export function checkedKey(key: string): string {
  if (!KEY.test(key)) throw new ObjectNotFoundError(key);
  return key;
}
