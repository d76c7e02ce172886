import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import {
  type ActorContext,
  keysetPage,
  type PageRequest,
  uuidv7,
  withActor,
  withoutActor,
} from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq, getTableColumns, ne, sql } from 'drizzle-orm';
import { z } from 'zod';
import { datasources, kbDocumentOriginals, kbDocuments } from '../../db/schema.js';
import type { KnowledgeDeps } from '../../deps.js';
import { enqueueIndexing } from '../../jobs/enqueue-indexing.js';
import { loadCollection } from '../collections/collection-access.js';
import { contentHashOf } from '../documents/manage-documents.js';
import { mediaTypeOf } from '../extraction/media-types.js';
import { FetchError, fetchUrl } from './fetch-url.js';

export const datasourceDto = z.object({
  id: z.uuid(),
  collectionId: z.uuid(),
  kind: z.enum(['upload', 'inline', 'url']),
  url: z.string().nullable(),
  schedule: z.string().nullable(),
  lastFetchedAt: z.string().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
});

const toDto = (d: typeof datasources.$inferSelect): z.infer<typeof datasourceDto> => ({
  id: d.id,
  collectionId: d.collectionId,
  kind: d.kind,
  url: d.url,
  schedule: d.schedule,
  lastFetchedAt: d.lastFetchedAt?.toISOString() ?? null,
  lastError: d.lastError,
  createdAt: d.createdAt.toISOString(),
});

const schedulerId = (datasourceId: string) => `datasource-${datasourceId}`;

/**
 * Adds a URL data source: fetched now, and again on `schedule` (a cron pattern) when given. Each
 * fetch whose content changed replaces the source's previous document. Throws unprocessable for a
 * schedule the queue cannot parse.
 */
export async function createUrlDatasource(
  deps: KnowledgeDeps,
  actor: Actor,
  collectionId: string,
  input: { url: string; schedule?: string | undefined },
) {
  const datasource = await asActor(deps.db, actor, async (tx) => {
    await loadCollection(tx, actor, collectionId, 'kb.write');
    const [row] = await tx
      .insert(datasources)
      .values({
        id: uuidv7(),
        collectionId,
        kind: 'url',
        url: input.url,
        schedule: input.schedule ?? null,
        createdBy: actor.userId,
      })
      .returning();
    return row!;
  });
  if (input.schedule) {
    try {
      await deps.jobs.schedule(
        schedulerId(datasource.id),
        'fetch-datasource',
        { datasourceId: datasource.id },
        {
          pattern: input.schedule,
        },
      );
    } catch (error) {
      // The queue parses the pattern: a wrong one is the caller's mistake, so nothing is kept.
      await asActor(deps.db, actor, (tx) => tx.delete(datasources).where(eq(datasources.id, datasource.id)));
      throw new DomainError(
        'unprocessable',
        `The schedule is not a valid cron pattern: ${(error as Error).message}`,
      );
    }
  }
  await deps.jobs.add(
    'fetch-datasource',
    { datasourceId: datasource.id },
    { jobId: `fetch-${datasource.id}-first` },
  );
  return toDto(datasource);
}

/** A collection's data sources, oldest first (uuidv7 ids). Throws not_found, bad_request for a bad cursor. */
export async function listDatasources(
  deps: KnowledgeDeps,
  actor: Actor,
  collectionId: string,
  query: PageRequest,
) {
  const page = keysetPage({ by: [datasources.id], order: 'asc' }, query);
  return asActor(deps.db, actor, async (tx) => {
    await loadCollection(tx, actor, collectionId, 'kb.read');
    const rows = await tx
      .select({ ...getTableColumns(datasources), pageKey: page.key })
      .from(datasources)
      .where(and(eq(datasources.collectionId, collectionId), page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, toDto);
  });
}

/** Deletes a data source and stops its schedule; its documents stay. Throws not_found. */
export async function deleteDatasource(
  deps: KnowledgeDeps,
  actor: Actor,
  collectionId: string,
  datasourceId: string,
) {
  await asActor(deps.db, actor, async (tx) => {
    await loadCollection(tx, actor, collectionId, 'kb.write');
    const deleted = await tx
      .delete(datasources)
      .where(and(eq(datasources.collectionId, collectionId), eq(datasources.id, datasourceId)))
      .returning({ id: datasources.id });
    if (deleted.length === 0) throw new DomainError('not_found', 'No such data source.');
  });
  await deps.jobs.unschedule(schedulerId(datasourceId));
}

async function ownerOfDatasource(
  deps: Pick<KnowledgeDeps, 'db'>,
  datasourceId: string,
): Promise<ActorContext | undefined> {
  const [owner] = await withoutActor(deps.db, (tx) =>
    tx.execute<{ user_id: string; organization_id: string | null; team_id: string | null }>(
      sql`select * from knowledge.datasource_owner(${datasourceId})`,
    ),
  );
  return owner
    ? { userId: owner.user_id, orgId: owner.organization_id, teamIds: owner.team_id ? [owner.team_id] : [] }
    : undefined;
}

/**
 * The job: fetches the URL and, when its content is new to the collection, stores it as a
 * document (replacing the source's previous one) and queues it for indexing. A deleted source
 * stops its schedule. Retryable fetch errors are rethrown for the queue.
 */
export async function fetchDatasource(
  deps: KnowledgeDeps,
  datasourceId: string,
): Promise<'stored' | 'unchanged' | 'gone'> {
  const owner = await ownerOfDatasource(deps, datasourceId);
  if (!owner) {
    await deps.jobs.unschedule(schedulerId(datasourceId));
    return 'gone';
  }
  const [source] = await withActor(deps.db, owner, (tx) =>
    tx.select().from(datasources).where(eq(datasources.id, datasourceId)),
  );
  if (!source?.url) return 'gone';
  const recordError = (message: string | null) =>
    withActor(deps.db, owner, (tx) =>
      tx
        .update(datasources)
        .set({ lastError: message, lastFetchedAt: new Date(), updatedAt: new Date() })
        .where(eq(datasources.id, datasourceId)),
    );
  let fetched: Awaited<ReturnType<typeof fetchUrl>>;
  try {
    fetched = await fetchUrl(source.url, {
      limitBytes: deps.env.UPLOAD_LIMIT_BYTES,
      timeoutMs: deps.env.URL_FETCH_TIMEOUT,
      allowPrivate: deps.env.URL_FETCH_ALLOW_PRIVATE,
    });
  } catch (error) {
    await recordError((error as Error).message);
    if (error instanceof FetchError && !error.retryable) return 'unchanged';
    throw error;
  }
  const path = new URL(fetched.finalUrl).pathname;
  const mediaType = mediaTypeOf(path, fetched.contentType) ?? 'text/plain';
  const contentHash = contentHashOf(fetched.bytes);
  const stored = await withActor(deps.db, owner, async (tx) => {
    const [same] = await tx
      .select({ id: kbDocuments.id })
      .from(kbDocuments)
      .where(
        and(eq(kbDocuments.collectionId, source.collectionId), eq(kbDocuments.contentHash, contentHash)),
      );
    await tx
      .update(datasources)
      .set({ lastError: null, lastFetchedAt: new Date(), updatedAt: new Date() })
      .where(eq(datasources.id, datasourceId));
    if (same) return undefined;
    const id = uuidv7();
    await tx.insert(kbDocuments).values({
      id,
      collectionId: source.collectionId,
      datasourceId,
      name: source.url!.slice(0, 300),
      mediaType,
      sizeBytes: fetched.bytes.length,
      contentHash,
      metadata: { url: source.url },
      createdBy: source.createdBy,
    });
    await tx
      .insert(kbDocumentOriginals)
      .values({ documentId: id, collectionId: source.collectionId, content: fetched.bytes });
    await tx
      .delete(kbDocuments)
      .where(and(eq(kbDocuments.datasourceId, datasourceId), ne(kbDocuments.id, id)));
    return id;
  });
  if (!stored) return 'unchanged';
  await enqueueIndexing(deps, [{ id: stored, revision: 1 }]);
  return 'stored';
}
