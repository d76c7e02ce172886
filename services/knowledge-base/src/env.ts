import {
  baseEnv,
  databaseUrlFor,
  envBoolean,
  envDuration,
  envList,
  envPort,
  parseEnv,
} from '@conduit/config';
import { z } from 'zod';

/** A keyring usable on a developer machine only; production refuses to start without its own. */
const DEV_ENCRYPTION_KEYS = '1:ZGV2LW9ubHkta2V5LWRvLW5vdC11c2UtaW4tcHJvZCE=';

const schema = baseEnv.extend({
  KNOWLEDGE_BASE_PORT: envPort(4003),
  KNOWLEDGE_BASE_HOST: z.string().default('0.0.0.0'),
  /** Identity, whose JWKS verifies access tokens. */
  IDENTITY_URL: z.url().default('http://127.0.0.1:4001'),
  /** `<version>:<base64 32 bytes>,...`; seals embedding API keys at rest. */
  ENCRYPTION_KEYS: z.string().default(DEV_ENCRYPTION_KEYS),
  REDIS_KEY_PREFIX: z.string().default('conduit:'),
  TRUST_PROXY: envList('loopback,uniquelocal'),
  /** Largest upload accepted (413 above it). */
  UPLOAD_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(25 * 1024 * 1024),
  /** Indexing jobs one worker process runs at once. */
  INDEX_CONCURRENCY: z.coerce.number().int().min(1).default(2),
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

export type KnowledgeEnv = z.output<typeof schema> & { KNOWLEDGE_DATABASE_URL: string };

export function loadEnv(env: NodeJS.ProcessEnv = process.env): KnowledgeEnv {
  const parsed = parseEnv(schema, env);
  if (parsed.NODE_ENV === 'production' && parsed.ENCRYPTION_KEYS === DEV_ENCRYPTION_KEYS) {
    throw new Error('ENCRYPTION_KEYS must be set in production (the built-in key is for development only)');
  }
  return { ...parsed, KNOWLEDGE_DATABASE_URL: databaseUrlFor('knowledge', env, parsed.DATABASE_URL) };
}
