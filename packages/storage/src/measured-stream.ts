import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { ObjectTooLargeError } from './object-store.js';

/**
 * Passes bytes through while hashing (SHA-256) and counting them, failing the stream as soon as
 * more than `maxBytes` have gone by, so an oversized upload stops at the limit rather than at its end.
 */
export class MeasuredStream extends Transform {
  private readonly hash = createHash('sha256');
  sizeBytes = 0;

  constructor(private readonly maxBytes = Number.POSITIVE_INFINITY) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
    this.sizeBytes += chunk.length;
    if (this.sizeBytes > this.maxBytes) return done(new ObjectTooLargeError(this.maxBytes));
    this.hash.update(chunk);
    done(null, chunk);
  }

  /** The hex digest; call once the stream has ended. */
  sha256(): string {
    return this.hash.digest('hex');
  }
}
