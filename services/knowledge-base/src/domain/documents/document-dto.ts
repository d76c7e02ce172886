import { z } from 'zod';
import type { kbDocuments } from '../../db/schema.js';

export const documentDto = z.object({
  id: z.uuid(),
  collectionId: z.uuid(),
  datasourceId: z.uuid().nullable(),
  name: z.string(),
  mediaType: z.string(),
  sizeBytes: z.int(),
  contentHash: z.string(),
  status: z.enum(['pending', 'indexing', 'indexed', 'failed']),
  error: z.string().nullable(),
  attempts: z.int(),
  chunkCount: z.int(),
  metadata: z.record(z.string(), z.unknown()),
  indexedAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type DocumentDto = z.infer<typeof documentDto>;

export const toDocumentDto = (d: typeof kbDocuments.$inferSelect): DocumentDto => ({
  id: d.id,
  collectionId: d.collectionId,
  datasourceId: d.datasourceId,
  name: d.name,
  mediaType: d.mediaType,
  sizeBytes: d.sizeBytes,
  contentHash: d.contentHash,
  status: d.status,
  error: d.error,
  attempts: d.attempts,
  chunkCount: d.chunkCount,
  metadata: d.metadata as Record<string, unknown>,
  indexedAt: d.indexedAt?.toISOString() ?? null,
  createdAt: d.createdAt.toISOString(),
  updatedAt: d.updatedAt.toISOString(),
});
