import { envDuration, envPort, loadServiceEnv, serviceEnv } from '@conduit/config';
import { storageEnv } from '@conduit/storage';
import { z } from 'zod';

const schema = serviceEnv.extend({
  ...storageEnv,
  WORKSPACE_PORT: envPort(4007),
  WORKSPACE_HOST: z.string().default('0.0.0.0'),
  /** The largest file one upload may carry (the plan's storage_mb limits the total). */
  UPLOAD_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(100 * 1024 * 1024),
  /** The largest file a bot's script may keep (READ, WRITE, DOWNLOAD, COMPRESS, PDFs). */
  BOT_FILE_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(20 * 1024 * 1024),
  /** The largest encrypted chat (its ciphertext, decoded). */
  ENCRYPTED_CHAT_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(4 * 1024 * 1024),
  /** How long identity (usage) and conversation (session owners) have to answer. */
  RPC_TIMEOUT: envDuration('5s'),
  /** How often stored objects left behind by a failed removal are removed again. */
  OBJECT_SWEEP_EVERY: envDuration('10m'),
  /**
   * How long delta sync remembers a deletion (a tombstone, a team the user left). A client that
   * has not synced for longer is told to sync again from the start (410).
   */
  SYNC_TOMBSTONE_RETENTION: envDuration('30d'),
  /** How often tombstones past SYNC_TOMBSTONE_RETENTION are pruned. */
  SYNC_PRUNE_EVERY: envDuration('1h'),
});

export type WorkspaceEnv = ReturnType<typeof loadEnv>;

export const loadEnv = (source: NodeJS.ProcessEnv = process.env) =>
  loadServiceEnv(schema, 'workspace', source);
