import { z } from 'zod';
import type { knowledgeBaseSettings } from '../../db/schema.js';
import type { CollectionRow } from './collection-access.js';

export const settingsDto = z.object({
  chunkSize: z.int(),
  chunkOverlap: z.int(),
  textSearchLanguage: z.string(),
  embedding: z.object({
    provider: z.enum(['local', 'openai']),
    model: z.string(),
    baseUrl: z.string().nullable(),
    /** The key itself is never shown again. */
    hasApiKey: z.boolean(),
  }),
});

export const collectionDto = z.object({
  id: z.uuid(),
  name: z.string(),
  description: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()),
  visibility: z.enum(['private', 'team']),
  teamId: z.uuid().nullable(),
  ownerUserId: z.uuid(),
  organizationId: z.uuid().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type CollectionDto = z.infer<typeof collectionDto>;

export const collectionDetailDto = collectionDto.extend({
  settings: settingsDto,
  documentCount: z.int(),
  chunkCount: z.int(),
});

export const toCollectionDto = (c: CollectionRow): CollectionDto => ({
  id: c.id,
  name: c.name,
  description: c.description,
  metadata: c.metadata as Record<string, unknown>,
  visibility: c.visibility,
  teamId: c.teamId,
  ownerUserId: c.ownerUserId,
  organizationId: c.organizationId,
  createdAt: c.createdAt.toISOString(),
  updatedAt: c.updatedAt.toISOString(),
});

export const toSettingsDto = (s: typeof knowledgeBaseSettings.$inferSelect): z.infer<typeof settingsDto> => ({
  chunkSize: s.chunkSize,
  chunkOverlap: s.chunkOverlap,
  textSearchLanguage: s.textSearchLanguage,
  embedding: {
    provider: s.embeddingProvider,
    model: s.embeddingModel,
    baseUrl: s.embeddingBaseUrl,
    hasApiKey: s.embeddingApiKeySealed !== null,
  },
});
