import { appendEvent } from '@conduit/bus';
import { knowledgeEvents } from '@conduit/contracts';
import { type ActorContext, type Transaction, withActor, withoutActor } from '@conduit/db';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { kbDocumentOriginals, kbDocuments, knowledgeBaseSettings, outbox } from '../../db/schema.js';
import { uuidArray } from '../../db/uuid-array.js';
import type { KnowledgeDeps } from '../../deps.js';
import { EmbeddingError } from '../embeddings/openai-embedder.js';
import { ExtractionError } from '../extraction/extract-text.js';
import { type DocumentRow, type PreparedDocument, prepareDocuments } from './prepare-documents.js';
import { storeDocuments } from './store-documents.js';

export type IndexingDeps = Pick<KnowledgeDeps, 'env' | 'db' | 'box' | 'log'>;

/** One document at one revision; `lastAttempt` turns a retryable error into a failure. */
export interface IndexJob {
  documentId: string;
  revision: number;
  lastAttempt: boolean;
}

/** `failed` carries the error of a failure no retry can fix. */
export type IndexOutcome = 'indexed' | 'stale' | { failed: string };

/** An outcome, or the error to hand back to the queue for a retry. */
export type IndexResult = IndexOutcome | { retry: unknown };

/**
 * The originals of one batch are read and extracted together up to about this many bytes (a
 * larger document goes alone): what a batch holds in memory at once.
 */
const PREPARE_BYTES = 8 * 1024 * 1024;

/** A failure no retry can fix: the file is corrupt or the embeddings endpoint refuses for good. */
const isPermanent = (error: unknown) =>
  error instanceof ExtractionError || (error instanceof EmbeddingError && !error.retryable);

/** The documents of `pairs` that are still at their revision (a newer request supersedes a job). */
const atRevision = (jobs: IndexJob[]) =>
  sql`(${kbDocuments.id}, ${kbDocuments.revision}) in (select * from unnest(${uuidArray(jobs.map((j) => j.documentId))}, ${`{${jobs.map((j) => j.revision).join(',')}}`}::int[]))`;

/** Acts as the owner of each document's collection: the worker has no request actor of its own. */
async function ownersOfDocuments(deps: IndexingDeps, ids: string[]): Promise<Map<string, ActorContext>> {
  const rows = await withoutActor(deps.db, (tx) =>
    tx.execute<{
      document_id: string;
      user_id: string;
      organization_id: string | null;
      team_id: string | null;
    }>(
      sql`select x.id as document_id, o.user_id, o.organization_id, o.team_id
          from unnest(${uuidArray(ids)}) as x(id) cross join lateral knowledge.document_owner(x.id) o`,
    ),
  );
  return new Map(
    rows.map((o) => [
      o.document_id,
      { userId: o.user_id, orgId: o.organization_id, teamIds: o.team_id ? [o.team_id] : [] },
    ]),
  );
}

/**
 * Extracts, chunks, embeds and stores documents, each at one revision, in a few transactions per
 * batch rather than a few per document: the documents are marked `indexing` together, prepared,
 * and stored together (chunks, terms, status and `documentIndexed` events), acting as the owner
 * of their collection. Idempotent: a document's chunks are replaced in one transaction, so a job
 * retried after a crash (or run twice) leaves exactly one set. A job for an older revision, or
 * for a deleted document, is `stale`. Should the store of a batch fail, each of its documents is
 * stored alone, so that one document's error is its own. A corrupt file fails its document at
 * once; other errors are recorded on the document and answered as `retry`, and `lastAttempt`
 * turns them into a failure. Answers one result per job, in order.
 */
export async function indexDocuments(deps: IndexingDeps, jobs: IndexJob[]): Promise<IndexResult[]> {
  const results = new Map<IndexJob, IndexResult>();
  const owners = await ownersOfDocuments(
    deps,
    jobs.map((job) => job.documentId),
  );
  const byOwner = new Map<string, { owner: ActorContext; jobs: IndexJob[] }>();
  for (const job of jobs) {
    const owner = owners.get(job.documentId);
    if (!owner) {
      results.set(job, 'stale');
      continue;
    }
    const key = `${owner.userId}/${owner.orgId ?? ''}/${owner.teamIds?.join(',')}`;
    const group = byOwner.get(key) ?? { owner, jobs: [] };
    group.jobs.push(job);
    byOwner.set(key, group);
  }
  for (const { owner, jobs: owned } of byOwner.values())
    for (const [job, result] of await indexAsOwner(deps, owner, owned)) results.set(job, result);
  return jobs.map((job) => results.get(job) ?? 'stale');
}

async function indexAsOwner(
  deps: IndexingDeps,
  owner: ActorContext,
  jobs: IndexJob[],
): Promise<Map<IndexJob, IndexResult>> {
  const results = new Map<IndexJob, IndexResult>();
  const started = await withActor(deps.db, owner, async (tx) => {
    const documents = await tx
      .update(kbDocuments)
      .set({ status: 'indexing', attempts: sql`${kbDocuments.attempts} + 1`, updatedAt: new Date() })
      .where(atRevision(jobs))
      .returning();
    const collectionIds = [...new Set(documents.map((d) => d.collectionId))];
    const settings = collectionIds.length
      ? await tx
          .select()
          .from(knowledgeBaseSettings)
          .where(inArray(knowledgeBaseSettings.collectionId, collectionIds))
      : [];
    return { documents, settings: new Map(settings.map((s) => [s.collectionId, s])) };
  });
  const jobOf = new Map(jobs.map((job) => [job.documentId, job]));
  for (const job of jobs)
    if (!started.documents.some((d) => d.id === job.documentId)) results.set(job, 'stale');

  for (const batch of batchesOfBytes(started.documents)) {
    const originals = await withActor(deps.db, owner, (tx) =>
      tx
        .select()
        .from(kbDocumentOriginals)
        .where(
          inArray(
            kbDocumentOriginals.documentId,
            batch.map((d) => d.id),
          ),
        ),
    );
    const originalOf = new Map(originals.map((o) => [o.documentId, o.content]));
    const preparations = await prepareDocuments(
      batch.map((document) => ({
        document,
        settings: started.settings.get(document.collectionId)!,
        original: originalOf.get(document.id)!,
      })),
      { box: deps.box, embeddingTimeoutMs: deps.env.EMBEDDING_TIMEOUT },
    );
    const prepared: PreparedDocument[] = [];
    const failures: { document: DocumentRow; error: unknown }[] = [];
    preparations.forEach((preparation, i) => {
      if ('prepared' in preparation) prepared.push(preparation.prepared);
      else failures.push({ document: batch[i]!, error: preparation.error });
    });
    const stored = await storeAll(deps, owner, prepared, jobOf);
    for (const [document, outcome] of stored) {
      if (outcome === 'stored') results.set(jobOf.get(document.id)!, 'indexed');
      else if (outcome === 'stale') results.set(jobOf.get(document.id)!, 'stale');
      else failures.push({ document, error: outcome.error });
    }
    for (const { document, error } of failures) {
      const job = jobOf.get(document.id)!;
      results.set(job, await recordFailure(deps, owner, job, document, error));
    }
  }
  return results;
}

/** The documents in runs of at most PREPARE_BYTES of originals (a larger one alone). */
function batchesOfBytes(documents: DocumentRow[]): DocumentRow[][] {
  const batches: DocumentRow[][] = [];
  let batch: DocumentRow[] = [];
  let bytes = 0;
  for (const document of documents) {
    if (batch.length > 0 && bytes + document.sizeBytes > PREPARE_BYTES) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(document);
    bytes += document.sizeBytes;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

type StoreOutcome = 'stored' | 'stale' | { error: unknown };

/**
 * Stores the prepared documents in one transaction; those no longer at their revision are left
 * alone (`stale`). If that transaction fails, each document is stored in a transaction of its own.
 */
async function storeAll(
  deps: IndexingDeps,
  owner: ActorContext,
  prepared: PreparedDocument[],
  jobOf: Map<string, IndexJob>,
): Promise<Map<DocumentRow, StoreOutcome>> {
  const outcomes = new Map<DocumentRow, StoreOutcome>();
  if (prepared.length === 0) return outcomes;
  const storeTogether = (documents: PreparedDocument[]) =>
    withActor(deps.db, owner, async (tx) => {
      const still = await lockAtRevision(
        tx,
        documents.map((p) => jobOf.get(p.document.id)!),
      );
      const current = documents.filter((p) => still.has(p.document.id));
      await storeDocuments(tx, owner, current);
      return new Map(
        documents.map((p) => [p.document, still.has(p.document.id) ? 'stored' : 'stale'] as const),
      );
    });
  try {
    return await storeTogether(prepared);
  } catch (error) {
    if (prepared.length === 1) return new Map([[prepared[0]!.document, { error }]]);
    deps.log.warn(
      { err: error, documents: prepared.length },
      'storing a batch failed; storing each document alone',
    );
  }
  for (const document of prepared) {
    try {
      for (const [row, outcome] of await storeTogether([document])) outcomes.set(row, outcome);
    } catch (error) {
      outcomes.set(document.document, { error });
    }
  }
  return outcomes;
}

/** Locks the jobs' documents that are still at their revision; answers their ids. */
async function lockAtRevision(tx: Transaction, jobs: IndexJob[]): Promise<Set<string>> {
  const rows = await tx
    .select({ id: kbDocuments.id })
    .from(kbDocuments)
    .where(atRevision(jobs))
    .for('update');
  return new Set(rows.map((r) => r.id));
}

/**
 * Records a document's error: `failed` (with a documentFailed event) when no retry can fix it or
 * this was the last attempt, else back to `pending` for the queue's next attempt.
 */
async function recordFailure(
  deps: IndexingDeps,
  owner: ActorContext,
  job: IndexJob,
  document: DocumentRow,
  error: unknown,
): Promise<IndexResult> {
  const message = (error as Error).message ?? String(error);
  const final = job.lastAttempt || isPermanent(error);
  await withActor(deps.db, owner, async (tx) => {
    const [still] = await tx
      .select()
      .from(kbDocuments)
      .where(and(eq(kbDocuments.id, job.documentId), eq(kbDocuments.revision, job.revision)))
      .for('update');
    if (!still) return;
    await tx
      .update(kbDocuments)
      .set({ status: final ? 'failed' : 'pending', error: message, updatedAt: new Date() })
      .where(eq(kbDocuments.id, document.id));
    if (final)
      await appendEvent(
        tx,
        outbox,
        knowledgeEvents.documentFailed,
        {
          documentId: document.id,
          collectionId: document.collectionId,
          error: message,
          attempts: still.attempts,
        },
        { userId: owner.userId, sessionId: null, orgId: owner.orgId ?? null },
      );
  });
  if (isPermanent(error)) return { failed: message };
  return { retry: error };
}
