import { storableText } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import type { SecretBox } from '@conduit/secrets';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { knowledgeBaseSettings } from '../../db/schema.js';
import { LOCAL_MODEL } from '../embeddings/local-embedder.js';

export const embeddingInput = z.discriminatedUnion('provider', [
  z.object({ provider: z.literal('local') }).strict(),
  z
    .object({
      provider: z.literal('openai'),
      /** e.g. `https://api.openai.com/v1`, `http://localhost:11434/v1` (Ollama). */
      baseUrl: z.url({ protocol: /^https?$/ }).max(500),
      model: storableText(200).min(1),
      /** Kept from the previous settings when omitted and the endpoint did not change. */
      apiKey: storableText(1000).min(1).optional(),
    })
    .strict(),
]);

export const settingsInput = z
  .object({
    chunkSize: z.int().min(50).max(4000).optional(),
    chunkOverlap: z.int().min(0).max(1000).optional(),
    /** A Postgres text search configuration: english, german, simple, ... */
    textSearchLanguage: z
      .string()
      .max(63)
      .regex(/^[a-z_]{2,63}$/, 'a text search configuration name such as english or simple')
      .optional(),
    embedding: embeddingInput.optional(),
  })
  .strict();
export type SettingsInput = z.infer<typeof settingsInput>;

type SettingsRow = typeof knowledgeBaseSettings.$inferSelect;

/**
 * The settings row after applying `input` to `current` (or to the defaults). Throws unprocessable
 * for an unknown text search language or an overlap not smaller than half the chunk size.
 */
export async function resolveSettings(
  tx: Transaction,
  box: SecretBox,
  collectionId: string,
  input: SettingsInput,
  current?: SettingsRow,
): Promise<Omit<SettingsRow, 'createdAt' | 'updatedAt'>> {
  const chunkSize = input.chunkSize ?? current?.chunkSize ?? 500;
  const chunkOverlap = input.chunkOverlap ?? current?.chunkOverlap ?? 60;
  if (chunkOverlap * 2 > chunkSize)
    throw new DomainError('unprocessable', 'chunkOverlap must be at most half of chunkSize.');
  const textSearchLanguage = input.textSearchLanguage ?? current?.textSearchLanguage ?? 'english';
  if (input.textSearchLanguage) {
    const known = await tx.execute(sql`select 1 from pg_ts_config where cfgname = ${textSearchLanguage}`);
    if (known.length === 0)
      throw new DomainError('unprocessable', `"${textSearchLanguage}" is not a text search language here.`);
  }
  let embedding: Pick<
    SettingsRow,
    'embeddingProvider' | 'embeddingModel' | 'embeddingBaseUrl' | 'embeddingApiKeySealed'
  > = current
    ? {
        embeddingProvider: current.embeddingProvider,
        embeddingModel: current.embeddingModel,
        embeddingBaseUrl: current.embeddingBaseUrl,
        embeddingApiKeySealed: current.embeddingApiKeySealed,
      }
    : {
        embeddingProvider: 'local',
        embeddingModel: LOCAL_MODEL,
        embeddingBaseUrl: null,
        embeddingApiKeySealed: null,
      };
  if (input.embedding?.provider === 'local')
    embedding = {
      embeddingProvider: 'local',
      embeddingModel: LOCAL_MODEL,
      embeddingBaseUrl: null,
      embeddingApiKeySealed: null,
    };
  else if (input.embedding?.provider === 'openai') {
    const sameEndpoint = current?.embeddingBaseUrl === input.embedding.baseUrl;
    embedding = {
      embeddingProvider: 'openai',
      embeddingModel: input.embedding.model,
      embeddingBaseUrl: input.embedding.baseUrl,
      embeddingApiKeySealed: input.embedding.apiKey
        ? box.encrypt(input.embedding.apiKey, collectionId)
        : sameEndpoint
          ? (current?.embeddingApiKeySealed ?? null)
          : null,
    };
  }
  return { collectionId, chunkSize, chunkOverlap, textSearchLanguage, ...embedding };
}

/** Whether chunks made under `before` are stale under `after` (the collection must be re-indexed). */
export const needsReindex = (before: SettingsRow, after: Omit<SettingsRow, 'createdAt' | 'updatedAt'>) =>
  before.chunkSize !== after.chunkSize ||
  before.chunkOverlap !== after.chunkOverlap ||
  before.textSearchLanguage !== after.textSearchLanguage ||
  before.embeddingProvider !== after.embeddingProvider ||
  before.embeddingModel !== after.embeddingModel ||
  before.embeddingBaseUrl !== after.embeddingBaseUrl;
