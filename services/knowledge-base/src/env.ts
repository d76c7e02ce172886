import {
  encryptionKeysEnv,
  envBoolean,
  envDuration,
  envPort,
  loadServiceEnv,
  serviceEnv,
} from '@conduit/config';
import { z } from 'zod';

const schema = serviceEnv.extend({
  ...encryptionKeysEnv,
  KNOWLEDGE_BASE_PORT: envPort(4003),
  KNOWLEDGE_BASE_HOST: z.string().default('0.0.0.0'),
  /** Largest upload accepted (413 above it). */
  UPLOAD_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(25 * 1024 * 1024),
  /** Indexing batches one worker process runs at once (one is embedded while another is stored). */
  INDEX_CONCURRENCY: z.coerce.number().int().min(1).default(2),
  /** Documents indexed together, in a few transactions, when that many are waiting (a bulk load). */
  INDEX_BATCH_DOCUMENTS: z.coerce.number().int().min(1).max(500).default(32),
  INDEX_ATTEMPTS: z.coerce.number().int().min(1).default(4),
  INDEX_BACKOFF: envDuration('2s'),
  /** A job whose worker died is taken over once its lock runs out. */
  JOB_LOCK_DURATION: envDuration('30s'),
  JOB_STALLED_INTERVAL: envDuration('30s'),
  /** Calls to an OpenAI-compatible embeddings endpoint give up after this. */
  EMBEDDING_TIMEOUT: envDuration('30s'),
  /** URL data sources may point at loopback and private addresses (development and tests only). */
  URL_FETCH_ALLOW_PRIVATE: envBoolean(false),
  URL_FETCH_TIMEOUT: envDuration('20s'),
});

export type KnowledgeEnv = ReturnType<typeof loadEnv>;

export const loadEnv = (source: NodeJS.ProcessEnv = process.env) =>
  loadServiceEnv(schema, 'knowledge', source);
