import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { MeasuredStream } from './measured-stream.js';
import { checkedKey, newObjectKey } from './object-keys.js';
import {
  type ByteRange,
  ObjectNotFoundError,
  type ObjectStore,
  ObjectTooLargeError,
  type PutOptions,
} from './object-store.js';

export interface S3StoreOptions {
  bucket: string;
  /** Prepended to every key (e.g. `media/`), so one bucket can hold more than this store. */
  prefix?: string;
  client: S3ClientConfig;
}

/** S3 parts: the smallest S3 accepts, so an upload holds at most two of them in memory at once. */
const PART_SIZE = 5 * 1024 * 1024;

const isMissing = (error: unknown) => {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
};

/**
 * Objects in an S3-compatible bucket (AWS, MinIO, ...). Uploads are multipart, streamed a part at a
 * time; a failed or oversized upload is aborted, so no parts are left behind. Checksums are sent
 * only where S3 requires them, which every S3-compatible server understands.
 */
export function s3ObjectStore(options: S3StoreOptions): ObjectStore {
  const client = new S3Client({
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...options.client,
  });
  const Bucket = options.bucket;
  const objectKey = (key: string) => `${options.prefix ?? ''}${checkedKey(key)}`;

  return {
    driver: 's3',
    async put(body: Readable, putOptions: PutOptions = {}) {
      const key = newObjectKey();
      const measured = new MeasuredStream(putOptions.maxBytes);
      const upload = new Upload({
        client,
        params: { Bucket, Key: objectKey(key), Body: measured },
        partSize: PART_SIZE,
        queueSize: 2,
        leavePartsOnError: false,
      });
      const piping = pipeline(body, measured);
      // An upload that fails stops reading: end the stream too, or the pipeline would wait forever.
      const uploading = upload.done().catch((error: unknown) => {
        measured.destroy(error as Error);
        throw error;
      });
      const [piped, uploaded] = await Promise.allSettled([piping, uploading]);
      if (piped.status === 'rejected' || uploaded.status === 'rejected') {
        await client.send(new DeleteObjectCommand({ Bucket, Key: objectKey(key) })).catch(() => {});
        const reasons = [piped, uploaded].flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
        throw reasons.find((reason) => reason instanceof ObjectTooLargeError) ?? reasons[0];
      }
      return { key, sizeBytes: measured.sizeBytes, sha256: measured.sha256() };
    },
    async get(key: string, range?: ByteRange) {
      try {
        const answer = await client.send(
          new GetObjectCommand({
            Bucket,
            Key: objectKey(key),
            ...(range && { Range: `bytes=${range.start}-${range.end}` }),
          }),
        );
        return answer.Body as Readable;
      } catch (error) {
        if (isMissing(error)) throw new ObjectNotFoundError(key);
        throw error;
      }
    },
    async head(key: string) {
      try {
        const answer = await client.send(new HeadObjectCommand({ Bucket, Key: objectKey(key) }));
        return { sizeBytes: answer.ContentLength ?? 0 };
      } catch (error) {
        if (isMissing(error) || error instanceof ObjectNotFoundError) return null;
        throw error;
      }
    },
    async delete(key: string) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: objectKey(key) }));
    },
  };
}
