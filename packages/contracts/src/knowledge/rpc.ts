import { z } from 'zod';
import { teamRoleSchema } from '../access.js';
import { defineRpc } from '../rpc.js';
import { storableJsonObject, storableText } from '../storable.js';

export const searchHit = z.object({
  chunkId: z.uuid(),
  documentId: z.uuid(),
  documentName: z.string(),
  collectionId: z.uuid(),
  headingPath: z.array(z.string()),
  charStart: z.int(),
  charEnd: z.int(),
  content: z.string(),
  /** The chunk with the query's words marked `<b>...</b>`. */
  snippet: z.string(),
  /**
   * Weighted reciprocal rank fusion score of the document: the sum over legs of weight / (k + rank);
   * a further passage of the same document scores no more than its first (see knowledge-base hybrid-search).
   */
  score: z.number(),
  /** 1-based rank of the hit's document in the full-text leg, null when that leg did not find it. */
  textRank: z.int().nullable(),
  /** 1-based rank of the hit's document in the vector leg, null when that leg did not find it. */
  vectorRank: z.int().nullable(),
  textScore: z.number().nullable(),
  vectorScore: z.number().nullable(),
});
export type SearchHit = z.infer<typeof searchHit>;

/**
 * Hybrid search for the conversation service: over a chat session's linked collections, the
 * given ones (`USE KB`), or both at once (one ranking over all of them: a turn asks once), with
 * access checked for `userId` (the session's user). `teams` carries that user's team roles, so
 * team collections are searchable too.
 */
export const search = defineRpc(
  'rpc.knowledge.search',
  z
    .object({
      userId: z.uuid(),
      orgId: z.uuid().nullable().optional(),
      teams: z.record(z.uuid(), teamRoleSchema).optional(),
      sessionId: z.uuid().optional(),
      collectionIds: z.array(z.uuid()).min(1).max(50).optional(),
      // A bot's script builds the query from what users say: the same rule as at the HTTP edge.
      query: storableText(2000).min(1),
      k: z.int().min(1).max(50).default(5),
      filter: storableJsonObject({ maxDepth: 16, maxBytes: 16 * 1024 }).optional(),
    })
    .refine((r) => r.sessionId !== undefined || r.collectionIds !== undefined, {
      message: 'give sessionId, collectionIds or both',
    }),
  z.object({ hits: z.array(searchHit) }),
);

/**
 * A bot's USE WEBSITE: the site at `url` becomes a URL data source of the session user's own
 * "websites" collection (made on first use), read now and indexed in the background, and that
 * collection is linked to the chat session, so the session's searches include it. The caller
 * vouches for the session's user, who must be allowed to add knowledge (`kb.write`).
 */
export const useWebsite = defineRpc(
  'rpc.knowledge.website.use',
  z.object({
    userId: z.uuid(),
    orgId: z.uuid().nullable().optional(),
    teams: z.record(z.uuid(), teamRoleSchema).optional(),
    sessionId: z.uuid(),
    url: z.url({ protocol: /^https?$/ }).max(2000),
  }),
  z.object({ collectionId: z.uuid(), datasourceId: z.uuid(), created: z.boolean() }),
);
