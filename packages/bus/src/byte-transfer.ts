import { randomUUID } from 'node:crypto';
import { type NatsError, nanos, type ObjectStore } from 'nats';
import type { Bus } from './connection.js';

/**
 * Bytes handed from one service to another beside an RPC: an RPC message is at most NATS's
 * max_payload (1 MiB by default), so a file's bytes go through a JetStream object store (chunked,
 * file storage) and the RPC carries only the object's name. The taker deletes the object once it
 * has read it; what a crashed side leaves behind expires with the bucket's TTL.
 */

/** How long a handed-over object may wait for its taker before it expires. */
const TRANSFER_TTL_MS = 15 * 60 * 1000;

/** The bucket of the bus's namespace (tests run side by side, each in its own). */
export const transferBucketName = (bus: Bus): string => transferBucketFor(bus.namespace);

/** The byte-transfer bucket of a namespace (its stream is `OBJ_<bucket>`). */
export function transferBucketFor(namespace: string): string {
  const prefix = namespace.replace(/[^A-Za-z0-9_-]/g, '_');
  return prefix ? `${prefix}_byte-transfers` : 'byte-transfers';
}

const stores = new WeakMap<Bus, Promise<ObjectStore>>();

function transferStore(bus: Bus): Promise<ObjectStore> {
  let store = stores.get(bus);
  if (!store) {
    store = bus.js.views.os(transferBucketName(bus), { ttl: nanos(TRANSFER_TTL_MS) });
    store.catch(() => stores.delete(bus));
    stores.set(bus, store);
  }
  return store;
}

/** Hands `bytes` over: answers the name the other side takes them by. */
export async function handOverBytes(bus: Bus, bytes: Uint8Array): Promise<string> {
  const name = randomUUID();
  await (await transferStore(bus)).putBlob({ name }, bytes);
  return name;
}

export class TransferError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransferError';
  }
}

/**
 * Takes what was handed over as `name` and deletes it. Throws TransferError when there is no such
 * object (taken already, or expired) or it is larger than `maxBytes`, in which case it is deleted
 * unread.
 */
export async function takeBytes(bus: Bus, name: string, maxBytes: number): Promise<Buffer> {
  const store = await transferStore(bus);
  try {
    const info = await store.info(name);
    if (!info || info.deleted) throw new TransferError('the bytes handed over are gone (taken or expired)');
    if (info.size > maxBytes) throw new TransferError(`the bytes handed over are more than ${maxBytes}`);
    const bytes = await store.getBlob(name);
    if (!bytes) throw new TransferError('the bytes handed over are gone (taken or expired)');
    return Buffer.from(bytes);
  } finally {
    await store.delete(name).catch((error: NatsError) => error);
  }
}

/** Deletes what was handed over and not taken (the caller gave up on the call). */
export async function dropBytes(bus: Bus, name: string): Promise<void> {
  const store = await transferStore(bus);
  await store.delete(name).catch(() => {});
}
