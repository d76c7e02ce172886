import { z } from 'zod';
import { localObjectStore } from './local-store.js';
import type { ObjectStore } from './object-store.js';
import { s3ObjectStore } from './s3-store.js';

const flag = z
  .enum(['true', 'false', '1', '0'])
  .default('true')
  .transform((value) => value === 'true' || value === '1');

/**
 * Where a service keeps files, read from its environment: the local disk (the default, under
 * STORAGE_DIR) or an S3-compatible bucket. Spread into a service's env schema.
 */
export const storageEnv = {
  STORAGE_DRIVER: z.enum(['local', 's3']).default('local'),
  /** The local driver's directory (created when missing). */
  STORAGE_DIR: z.string().min(1).default('./.data/storage'),
  S3_ENDPOINT: z.url().optional(),
  S3_BUCKET: z.string().min(3).optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  /** Bucket in the path rather than the host name: what MinIO and most self-hosted servers need. */
  S3_FORCE_PATH_STYLE: flag,
};

export type StorageSettings = z.output<z.ZodObject<typeof storageEnv>>;

/** The store the settings name. Throws when the S3 driver is chosen without a bucket. */
export function createObjectStore(settings: StorageSettings): ObjectStore {
  if (settings.STORAGE_DRIVER === 'local') return localObjectStore(settings.STORAGE_DIR);
  if (!settings.S3_BUCKET) throw new Error('STORAGE_DRIVER=s3 needs S3_BUCKET.');
  return s3ObjectStore({
    bucket: settings.S3_BUCKET,
    client: {
      region: settings.S3_REGION,
      forcePathStyle: settings.S3_FORCE_PATH_STYLE,
      ...(settings.S3_ENDPOINT && { endpoint: settings.S3_ENDPOINT }),
      ...(settings.S3_ACCESS_KEY_ID &&
        settings.S3_SECRET_ACCESS_KEY && {
          credentials: {
            accessKeyId: settings.S3_ACCESS_KEY_ID,
            secretAccessKey: settings.S3_SECRET_ACCESS_KEY,
          },
        }),
    },
  });
}
