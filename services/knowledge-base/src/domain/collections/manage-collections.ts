import { asActor, can } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { keysetPage, type PageRequest, type Transaction, uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq, getTableColumns, sql } from 'drizzle-orm';
import { kbChunks, kbCollections, kbDocuments, knowledgeBaseSettings } from '../../db/schema.js';
import type { KnowledgeDeps } from '../../deps.js';
import { enqueueIndexing } from '../../jobs/enqueue-indexing.js';
import { collectionRef, loadCollection, notFound } from './collection-access.js';
import { toCollectionDto, toSettingsDto } from './collection-dto.js';
import { needsReindex, resolveSettings, type SettingsInput } from './collection-settings.js';

export interface CreateCollectionInput {
  name: string;
  description?: string | null | undefined;
  metadata?: Record<string, unknown> | undefined;
  /** Shares the collection with this team (visibility `team`); private to the caller otherwise. */
  teamId?: string | undefined;
  settings?: SettingsInput | undefined;
}

/**
 * Creates a collection owned by the caller, private or shared with one of their teams. Throws
 * forbidden without `kb.write` (or when their role in that team only reads), not_found for a team
 * they are not in.
 */
export async function createCollection(deps: KnowledgeDeps, actor: Actor, input: CreateCollectionInput) {
  if (input.teamId && !actor.platformAdmin && actor.teams[input.teamId] === undefined)
    throw new DomainError('not_found', 'No such team among yours.');
  if (!can(actor, 'kb.write', input.teamId ? { teamId: input.teamId, orgId: actor.orgId } : undefined))
    throw new DomainError('forbidden', 'Your role does not let you create knowledge bases here.');
  return asActor(deps.db, actor, async (tx) => {
    const id = uuidv7();
    const [collection] = await tx
      .insert(kbCollections)
      .values({
        id,
        organizationId: actor.orgId,
        ownerUserId: actor.userId,
        teamId: input.teamId ?? null,
        visibility: input.teamId ? 'team' : 'private',
        name: input.name,
        description: input.description ?? null,
        metadata: input.metadata ?? {},
      })
      .returning();
    const settings = await resolveSettings(tx, deps.box, id, input.settings ?? {});
    const [saved] = await tx.insert(knowledgeBaseSettings).values(settings).returning();
    return {
      ...toCollectionDto(collection!),
      settings: toSettingsDto(saved!),
      documentCount: 0,
      chunkCount: 0,
    };
  });
}

/**
 * The collections the caller can read, oldest first (uuidv7 ids), by pages. Throws bad_request for
 * a cursor this list did not give.
 */
export async function listCollections(deps: KnowledgeDeps, actor: Actor, query: PageRequest) {
  const page = keysetPage({ by: [kbCollections.id], order: 'asc' }, query);
  if (!can(actor, 'kb.read')) return { items: [], nextCursor: null };
  return asActor(deps.db, actor, async (tx) => {
    const rows = await tx
      .select({ ...getTableColumns(kbCollections), pageKey: page.key })
      .from(kbCollections)
      .where(page.after)
      .orderBy(...page.orderBy)
      .limit(page.limit);
    // The cursor follows the rows read, so a page thinned by the check still leads on.
    const { items, nextCursor } = page.of(rows, (row) => row);
    return {
      items: items.filter((row) => can(actor, 'kb.read', collectionRef(row))).map(toCollectionDto),
      nextCursor,
    };
  });
}

/** One collection with its settings and counts. Throws not_found unless the caller can read it. */
export async function getCollection(deps: KnowledgeDeps, actor: Actor, collectionId: string) {
  return asActor(deps.db, actor, async (tx) => {
    const collection = await loadCollection(tx, actor, collectionId, 'kb.read');
    const [settings] = await tx
      .select()
      .from(knowledgeBaseSettings)
      .where(eq(knowledgeBaseSettings.collectionId, collectionId));
    const [counts] = await tx.execute<{ documents: number; chunks: number }>(sql`
      select (select count(*)::int from ${kbDocuments} where collection_id = ${collectionId}) as documents,
             (select count(*)::int from ${kbChunks} where collection_id = ${collectionId}) as chunks`);
    return {
      ...toCollectionDto(collection),
      settings: toSettingsDto(settings!),
      documentCount: counts!.documents,
      chunkCount: counts!.chunks,
    };
  });
}

/** Renames or re-describes a collection. Throws not_found / forbidden as loadCollection does. */
export async function updateCollection(
  deps: KnowledgeDeps,
  actor: Actor,
  collectionId: string,
  changes: {
    name?: string | undefined;
    description?: string | null | undefined;
    metadata?: Record<string, unknown> | undefined;
  },
) {
  return asActor(deps.db, actor, async (tx) => {
    await loadCollection(tx, actor, collectionId, 'kb.write');
    const [collection] = await tx
      .update(kbCollections)
      .set({ ...changes, updatedAt: new Date() })
      .where(eq(kbCollections.id, collectionId))
      .returning();
    return toCollectionDto(collection!);
  });
}

/** Deletes a collection with its documents, chunks and session links. */
export async function deleteCollection(deps: KnowledgeDeps, actor: Actor, collectionId: string) {
  await asActor(deps.db, actor, async (tx) => {
    await loadCollection(tx, actor, collectionId, 'kb.write');
    const deleted = await tx
      .delete(kbCollections)
      .where(eq(kbCollections.id, collectionId))
      .returning({ id: kbCollections.id });
    if (deleted.length === 0) throw notFound();
  });
}

/**
 * Changes how a collection is chunked, searched and embedded. When the change makes its chunks
 * stale, every document is queued for re-indexing from its kept original.
 */
export async function updateSettings(
  deps: KnowledgeDeps,
  actor: Actor,
  collectionId: string,
  input: SettingsInput,
) {
  const { settings, reindex } = await asActor(deps.db, actor, async (tx) => {
    await loadCollection(tx, actor, collectionId, 'kb.write');
    const [current] = await tx
      .select()
      .from(knowledgeBaseSettings)
      .where(eq(knowledgeBaseSettings.collectionId, collectionId));
    const next = await resolveSettings(tx, deps.box, collectionId, input, current);
    const [saved] = await tx
      .update(knowledgeBaseSettings)
      .set({ ...next, updatedAt: new Date() })
      .where(eq(knowledgeBaseSettings.collectionId, collectionId))
      .returning();
    const reindex = current && needsReindex(current, next) ? await markForReindex(tx, collectionId) : [];
    return { settings: toSettingsDto(saved!), reindex };
  });
  await enqueueIndexing(deps, reindex);
  return settings;
}

/** Queues every document of a collection for re-indexing; answers how many. */
export async function reindexCollection(deps: KnowledgeDeps, actor: Actor, collectionId: string) {
  const documents = await asActor(deps.db, actor, async (tx) => {
    await loadCollection(tx, actor, collectionId, 'kb.write');
    return markForReindex(tx, collectionId);
  });
  await enqueueIndexing(deps, documents);
  return { queued: documents.length };
}

async function markForReindex(tx: Transaction, collectionId: string, documentId?: string) {
  return tx
    .update(kbDocuments)
    .set({
      status: 'pending',
      error: null,
      attempts: 0,
      revision: sql`${kbDocuments.revision} + 1`,
      updatedAt: new Date(),
    })
    .where(
      and(
        eq(kbDocuments.collectionId, collectionId),
        documentId ? eq(kbDocuments.id, documentId) : undefined,
      ),
    )
    .returning({ id: kbDocuments.id, revision: kbDocuments.revision });
}

export { markForReindex };
