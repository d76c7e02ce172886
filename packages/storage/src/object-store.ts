import type { Readable } from 'node:stream';

/** What a stored object is once written: the key the store chose, its size and content hash. */
export interface StoredObject {
  key: string;
  sizeBytes: number;
  /** Lowercase hex SHA-256 of the bytes as stored. */
  sha256: string;
}

/** Bytes `start` to `end` of an object, both included (as in an HTTP Range header). */
export interface ByteRange {
  start: number;
  end: number;
}

export interface PutOptions {
  /** Refuse (ObjectTooLargeError, nothing kept) once the stream has given more than this. */
  maxBytes?: number;
}

/**
 * One place to keep files, whatever holds them (a local directory, an S3-compatible bucket). The
 * store chooses every key itself, so no name a user gave ever becomes part of a path or an
 * object key; a key it did not make is refused as unknown.
 */
export interface ObjectStore {
  /** Which driver this is, for logs and readiness. */
  readonly driver: 'local' | 's3';
  /** Streams `body` into a new object, hashing and counting it on the way (never buffered whole). */
  put(body: Readable, options?: PutOptions): Promise<StoredObject>;
  /** The object's bytes, or only `range` of them. Throws ObjectNotFoundError for an unknown key. */
  get(key: string, range?: ByteRange): Promise<Readable>;
  /** The object's size, or null when there is no such object. */
  head(key: string): Promise<{ sizeBytes: number } | null>;
  /** Removes the object; removing one that is not there is not an error. */
  delete(key: string): Promise<void>;
}

export class ObjectNotFoundError extends Error {
  constructor(key: string) {
    super(`No stored object ${JSON.stringify(key)}.`);
    this.name = 'ObjectNotFoundError';
  }
}

export class ObjectTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`The object is larger than ${maxBytes} bytes.`);
    this.name = 'ObjectTooLargeError';
  }
}
