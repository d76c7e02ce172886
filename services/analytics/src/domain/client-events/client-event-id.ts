import { createHash } from 'node:crypto';

/** Namespace of client event ids (a random UUID, fixed forever: changing it would recount replays). */
const NAMESPACE = Buffer.from('6b0f3d3e9a4c4b59a1c2f0d8e7b6a5c4', 'hex');

/**
 * The event id of a client event: a name-based UUID (version 5) of the user and the key the
 * client chose, so that a replayed batch names the same events and counts once, and two users'
 * keys never collide.
 */
export function clientEventId(userId: string, idempotencyKey: string): string {
  const hash = createHash('sha1')
    .update(NAMESPACE)
    .update(`${userId.toLowerCase()}\u0000${idempotencyKey}`)
    .digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
