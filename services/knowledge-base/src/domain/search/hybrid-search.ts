import { asActor, can } from '@conduit/auth';
import { appendEvent } from '@conduit/bus';
import { type Actor, knowledgeEvents, type knowledgeRpc, toEventActor } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { inArray, sql } from 'drizzle-orm';
import { kbCollections, knowledgeBaseSettings, outbox, userKbAssociations } from '../../db/schema.js';
import { uuidArray } from '../../db/uuid-array.js';
import type { KnowledgeDeps } from '../../deps.js';
import { collectionRef } from '../collections/collection-access.js';
import { embedderFor } from '../embeddings/embedder-for-settings.js';
import { EmbeddingError } from '../embeddings/openai-embedder.js';
import { assertOwnSession, sessionNotFound } from '../sessions/session-owner.js';
import { textLeg } from './text-leg.js';
import { vectorLeg } from './vector-leg.js';

type SearchHit = knowledgeRpc.SearchHit;

/** Marks ts_headline puts around matches: characters no text contains, escaped later. */
const START_MARK = '\u0002';
const STOP_MARK = '\u0003';

/**
 * Reciprocal rank fusion (Cormack et al.) over documents: a document scores the sum over legs of
 * weight / (RRF_K + its rank in that leg). A small constant lets the head of each leg count, and
 * the vector leg weighs less: the built-in embedder hashes words and trigrams, with no semantics,
 * so it helps with word forms and breaks near ties (the text leg's second document overtakes its
 * first when the vector leg ranks it first and the other below 6th), measured by
 * `pnpm bench knowledge-base-eval`.
 */
export const RRF_K = 2;
export const TEXT_WEIGHT = 1;
export const VECTOR_WEIGHT = 0.4;

/** Documents each leg ranks (at least; more when k is larger). */
const LEG_DOCUMENTS = 60;

/**
 * ts_rank weights {D (body), C (unused), B (lead), A (name and headings)} for choosing a
 * document's passage: chunks carry those weights in their tsvector (see index-document.ts).
 */
const PASSAGE_WEIGHTS = '{0.1,0.1,1.0,0.3}';

/** A document in the fused ranking. */
interface Fused {
  documentId: string;
  score: number;
  textRank: number | null;
  vectorRank: number | null;
  textScore: number | null;
  vectorScore: number | null;
  /** The vector leg's best chunk of the document. */
  vectorChunkId?: string;
}

export type SearchScope =
  | { kind: 'collections'; collectionIds: string[] }
  /** The session's linked collections, and also `collectionIds` when given (a turn asks once). */
  | { kind: 'session'; sessionId: string; collectionIds?: string[] | undefined }
  | { kind: 'readable' };

export interface SearchInput {
  scope: SearchScope;
  query: string;
  k: number;
  /** JSONB containment on document metadata. */
  filter?: Record<string, unknown> | undefined;
}

type CollectionWithSettings = {
  id: string;
  settings: typeof knowledgeBaseSettings.$inferSelect;
};

/** The collections a search covers; for a session, also who owns it and whether it has links. */
interface Scoped {
  collections: CollectionWithSettings[];
  /** The session's owner as recorded here (null: not known yet); undefined for other scopes. */
  sessionOwner?: string | null;
  /** Whether the session's own links gave collections (what the search's event says). */
  sessionLinked: boolean;
}

/**
 * The collections in scope, with their settings, read in one round trip: the session's owner,
 * its links and the named collections go out together. Throws not_found for a named collection
 * the actor cannot read, whether or not it exists. The caller must refuse a session whose owner
 * is not the actor before using anything else this returns.
 */
async function collectionsInScope(tx: Transaction, actor: Actor, scope: SearchScope): Promise<Scoped> {
  const named = scope.kind === 'readable' ? undefined : scope.collectionIds;
  const readCollections = (ids: string[] | undefined) =>
    tx
      .select()
      .from(kbCollections)
      .innerJoin(knowledgeBaseSettings, sql`${knowledgeBaseSettings.collectionId} = ${kbCollections.id}`)
      .where(
        ids
          ? inArray(kbCollections.id, ids)
          : scope.kind === 'session'
            ? sql`${kbCollections.id} in (select ${userKbAssociations.collectionId} from ${userKbAssociations}
                 where ${userKbAssociations.sessionId} = ${scope.sessionId} and ${userKbAssociations.userId} = ${actor.userId})`
            : undefined,
      );
  let rows: Awaited<ReturnType<typeof readCollections>>;
  let sessionOwner: string | null | undefined;
  let sessionLinked = false;
  if (scope.kind === 'session') {
    const [[owner], linked, namedRows] = await Promise.all([
      tx.execute<{ owner: string | null }>(sql`select knowledge.session_owner(${scope.sessionId}) as owner`),
      readCollections(undefined),
      named?.length ? readCollections(named) : Promise.resolve([]),
    ]);
    sessionOwner = owner?.owner ?? null;
    sessionLinked = linked.length > 0;
    const seen = new Set<string>();
    rows = [...linked, ...namedRows].filter(
      (r) => !seen.has(r.kb_collections.id) && seen.add(r.kb_collections.id),
    );
  } else rows = await readCollections(named);
  const readable = rows.filter((r) => can(actor, 'kb.read', collectionRef(r.kb_collections)));
  // Naming a collection one cannot read answers 404, whether or not it exists.
  if (named?.some((id) => !readable.some((r) => r.kb_collections.id === id)))
    throw new DomainError('not_found', 'No such collection.');
  return {
    collections: readable.map((r) => ({ id: r.kb_collections.id, settings: r.knowledge_base_settings })),
    ...(scope.kind === 'session' ? { sessionOwner } : {}),
    sessionLinked,
  };
}

const groupBy = <T>(items: T[], key: (item: T) => string) => {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
};

/**
 * Hybrid retrieval over documents: a full-text leg (BM25F over the document's name, lead and
 * body; any of the question's words) and a vector leg (best cosine similarity of a document's
 * chunk embeddings), fused by weighted reciprocal rank fusion. Each hit is a passage of a
 * document and tells both legs' ranks and scores for its document: every document found shows
 * its best passage, and when fewer documents than k are found, their further passages fill the
 * places left. Collections of different languages or embedders are searched group by group and
 * merged by score. A search that ran over at least one knowledge base is recorded
 * (knowledge.search.performed) in the transaction that answers it. Throws not_found for a named
 * collection the actor cannot read, and for a session that is not the actor's (as for one that
 * does not exist).
 */
export async function hybridSearch(
  deps: KnowledgeDeps,
  actor: Actor,
  input: SearchInput,
): Promise<{ hits: SearchHit[] }> {
  const { scope } = input;
  if (!can(actor, 'kb.read')) {
    if (scope.kind === 'session') await assertOwnSession(deps, actor, scope.sessionId);
    if (scope.kind !== 'readable' && scope.collectionIds !== undefined)
      throw new DomainError('not_found', 'No such collection.');
    return { hits: [] };
  }
  // With local embedders only (no network in the way), the scope and the search share one
  // transaction; a remote embedding endpoint is asked between two, never inside one.
  const first = await asActor(deps.db, actor, async (tx) => {
    const scoped = await inScope(tx, actor, scope);
    if (!scoped || scoped.collections.length === 0 || !input.query.trim()) return { scoped };
    if (!scoped.collections.every((c) => c.settings.embeddingProvider === 'local')) return { scoped };
    const vectors = await queryVectors(deps, scoped.collections, input.query);
    return { scoped, found: await searchIn(tx, deps, actor, input, scoped, vectors) };
  });
  if (first.found) return first.found;
  let scoped = first.scoped;
  if (!scoped) {
    // The session's owner was not known here yet: conversation says (and the links are repaired).
    await assertOwnSession(deps, actor, (scope as { sessionId: string }).sessionId);
    scoped = await asActor(deps.db, actor, (tx) => inScope(tx, actor, scope));
  }
  if (!scoped || scoped.collections.length === 0 || !input.query.trim()) return { hits: [] };
  // Query embeddings are computed outside the transaction: a remote endpoint may be slow.
  const vectors = await queryVectors(deps, scoped.collections, input.query);
  return asActor(deps.db, actor, (tx) => searchIn(tx, deps, actor, input, scoped, vectors));
}

/**
 * The scope's collections; undefined for a session whose owner is not known here yet. Throws
 * not_found for a session that is someone else's, as for one that does not exist.
 */
async function inScope(tx: Transaction, actor: Actor, scope: SearchScope): Promise<Scoped | undefined> {
  const scoped = await collectionsInScope(tx, actor, scope);
  if (scoped.sessionOwner === null) return undefined;
  if (scoped.sessionOwner !== undefined && scoped.sessionOwner !== actor.userId) throw sessionNotFound();
  return scoped;
}

/** Embedders and the query's vector under each (undefined where it has none). */
interface QueryVectors {
  groups: CollectionWithSettings[][];
  vectors: (number[] | undefined)[];
}

async function queryVectors(
  deps: KnowledgeDeps,
  collections: CollectionWithSettings[],
  query: string,
): Promise<QueryVectors> {
  const groups = [...groupBy(collections, (c) => embedderFor(c.settings, deps.box).id).values()];
  const vectors = await Promise.all(
    groups.map(async (group) => {
      try {
        const [vector] = await embedderFor(group[0]!.settings, deps.box, deps.env.EMBEDDING_TIMEOUT).embed([
          query,
        ]);
        // A question of stop words only embeds to nothing: every chunk would tie at 0.
        return vector?.some((value) => value !== 0) ? vector : undefined;
      } catch (error) {
        // The text leg still answers when the embeddings endpoint does not.
        if (error instanceof EmbeddingError) {
          deps.log.warn({ err: error }, 'query embedding failed; searching by text only');
          return undefined;
        }
        throw error;
      }
    }),
  );
  return { groups, vectors };
}

/** The search itself, in the caller's transaction, recorded there (knowledge.search.performed). */
async function searchIn(
  tx: Transaction,
  deps: KnowledgeDeps,
  actor: Actor,
  input: SearchInput,
  scoped: Scoped,
  { groups: embedderGroups, vectors: queryVectors }: QueryVectors,
): Promise<{ hits: SearchHit[] }> {
  const { collections } = scoped;
  const legLimit = Math.max(LEG_DOCUMENTS, input.k * 5);
  {
    // These statements are short and selective, but over a large shared table their estimated cost
    // passes jit_above_cost, and compiling them would take longer (50-300 ms) than running them.
    // Each prepared statement is planned once per connection (a generic plan): the legs and the
    // passages read by key, word by word and document by document, so no plan depends on the
    // question's values, and Postgres would otherwise plan each statement afresh for its first
    // five runs on every pooled connection, the first dozens of searches of a server (and the
    // passages at every search, where planning took as long as running them).
    // The transaction's one write is the knowledge.search.performed event, for analytics: its commit
    // need not wait for the disk (a crash in the next fraction of a second may lose the event,
    // never a change anyone made), which was 1-4 ms of every search. Sent with the text leg (one
    // round trip) and ahead of it: drizzle sends a statement only once something awaits it, and
    // the text leg awaits its own at once, so the settings are started here (`then`). Left for
    // Promise.all to start, they went after it: the text leg was planned afresh at every search,
    // with jit on.
    const settings = tx
      .execute(
        sql`select set_config('jit', 'off', true), set_config('plan_cache_mode', 'force_generic_plan', true),
                   set_config('synchronous_commit', 'off', true)`,
      )
      .then(() => undefined);
    const filter = input.filter ? sql`and d.metadata @> ${JSON.stringify(input.filter)}::jsonb` : undefined;
    const [textLegs] = await Promise.all([
      Promise.all(
        [...groupBy(collections, (c) => c.settings.textSearchLanguage)].map(([language, group]) =>
          textLeg(tx, {
            language,
            query: input.query,
            collectionIds: group.map((c) => c.id),
            filter,
            limit: legLimit,
          }),
        ),
      ),
      settings,
    ]);
    const textHits = textLegs
      .flat()
      .sort((a, b) => b.score - a.score)
      .slice(0, legLimit);
    // The vector leg rescores the text leg's documents (an exact scan of every chunk would cost
    // ~10 µs a chunk); only when there are none does it take the documents nearest the question
    // (with pgvector, through its HNSW index).
    const candidates = textHits.map((hit) => hit.documentId);
    const vectorChunks = (
      await Promise.all(
        embedderGroups.map((group, i) =>
          queryVectors[i]
            ? vectorLeg(tx, {
                pgvector: deps.pgvector,
                vector: queryVectors[i],
                collectionIds: group.map((c) => c.id),
                filter,
                limit: legLimit,
                documentIds: candidates,
              })
            : Promise.resolve([]),
        ),
      )
    )
      .flat()
      .sort((a, b) => b.score - a.score);
    // A document's vector score is its best chunk's (one per document and embedder).
    const seen = new Set<string>();
    const vectorHits = vectorChunks
      .filter((hit) => !seen.has(hit.documentId) && seen.add(hit.documentId))
      .slice(0, legLimit);

    const fused = new Map<string, Fused>();
    const entry = (documentId: string) => {
      let existing = fused.get(documentId);
      if (!existing) {
        existing = {
          documentId,
          score: 0,
          textRank: null,
          vectorRank: null,
          textScore: null,
          vectorScore: null,
        };
        fused.set(documentId, existing);
      }
      return existing;
    };
    textHits.forEach((hit, i) => {
      const e = entry(hit.documentId);
      e.textRank = i + 1;
      e.textScore = hit.score;
      e.score += TEXT_WEIGHT / (RRF_K + i + 1);
    });
    vectorHits.forEach((hit, i) => {
      const e = entry(hit.documentId);
      e.vectorRank = i + 1;
      e.vectorScore = hit.score;
      e.vectorChunkId = hit.id;
      e.score += VECTOR_WEIGHT / (RRF_K + i + 1);
    });
    const top = [...fused.values()].sort((a, b) => b.score - a.score).slice(0, input.k);
    const passages = top.length
      ? await passagesOf(tx, {
          query: input.query,
          collectionIds: collections.map((c) => c.id),
          documents: top,
          // Fewer documents than asked for (a small collection, one long handbook): the places left
          // go to the found documents' further passages.
          extra: input.k - top.length,
        })
      : [];
    const byDocument = new Map(top.map((f) => [f.documentId, f]));
    const hits: SearchHit[] = passages.map((p) => {
      const f = byDocument.get(p.document_id)!;
      return {
        chunkId: p.id,
        documentId: p.document_id,
        documentName: p.document_name,
        collectionId: p.collection_id,
        headingPath: p.heading_path,
        charStart: p.char_start,
        charEnd: p.char_end,
        content: p.content,
        snippet: markSnippet(p.snippet),
        score: Number(p.score),
        textRank: f.textRank,
        vectorRank: f.vectorRank,
        textScore: f.textScore,
        vectorScore: f.vectorScore,
      };
    });
    await recordSearch(tx, actor, input.scope, scoped, hits.length);
    return { hits };
  }
}

/**
 * knowledge.search.performed for analytics, in the search's transaction: which knowledge bases
 * were searched and how many hits came back, never the question.
 */
function recordSearch(tx: Transaction, actor: Actor, scope: SearchScope, scoped: Scoped, hits: number) {
  const { collections } = scoped;
  // A turn's one search over its session's links and its script's collections says `session`
  // when the session's links took part, as a search of the links alone does.
  const bySession = scope.kind === 'session' && (scoped.sessionLinked || scope.collectionIds === undefined);
  return appendEvent(
    tx,
    outbox,
    knowledgeEvents.searchPerformed,
    {
      collectionId: collections.length === 1 ? collections[0]!.id : null,
      collectionCount: collections.length,
      sessionId: bySession ? (scope as { sessionId: string }).sessionId : null,
      scope: bySession ? 'session' : scope.kind === 'session' ? 'collections' : scope.kind,
      hits,
    },
    toEventActor(actor),
  );
}

/**
 * The passages shown for the ranked documents, best first. Each document shows its chunk that
 * ranks best for the question's words (the lead and headings weigh most), else the vector leg's
 * best chunk. Then `extra` further passages that hold a word of the question, from any of the
 * documents: such a passage scores its document's fused score times its text rank over the
 * document's best passage's, so it never outranks its own document's first passage; ties go to
 * the document ranked higher.
 */
async function passagesOf(
  tx: Transaction,
  options: { query: string; collectionIds: string[]; documents: Fused[]; extra: number },
) {
  const { documents } = options;
  const vectorChunkIds = documents.flatMap((f) => (f.vectorChunkId ? [f.vectorChunkId] : []));
  // The question's tsquery is made once per collection (materialized): a CTE read once is folded
  // into the query, and its expression was then parsed again for every chunk, twice (the match
  // and the rank): 17 -> 9 ms for the passages of 30 documents (532 chunks) of the manual pages.
  // One plan serves every question (a look-up of each ranked document's chunks): the search's
  // transaction plans its statements once per connection (searchIn's settings).
  const passages = tx.execute<{
    id: string;
    document_id: string;
    document_name: string;
    collection_id: string;
    heading_path: string[];
    char_start: number;
    char_end: number;
    content: string;
    snippet: string;
    score: number;
    position: number;
    passage: number;
  }>(sql`
    with q as materialized (
      select s.collection_id, s.text_search_language::regconfig as language,
             replace(plainto_tsquery(s.text_search_language::regconfig, ${options.query})::text, ' & ', ' | ')::tsquery as q
      from knowledge.knowledge_base_settings s
      where s.collection_id = any(${uuidArray(options.collectionIds)})
    ),
    found(document_id, score, position) as (
      select * from unnest(${uuidArray(documents.map((f) => f.documentId))},
                           ${`{${documents.map((f) => f.score).join(',')}}`}::float8[]) with ordinality
    ),
    rated as (
      select c.id, c.document_id, c.collection_id, c.heading_path, c.char_start, c.char_end, c.content, c.ordinal,
             c.tsv @@ q.q as matches, ts_rank(${PASSAGE_WEIGHTS}::float4[], c.tsv, q.q) as text_rank,
             c.id = any(${uuidArray(vectorChunkIds)}) as vector_best, found.score as document_score,
             found.position,
             q.language, q.q
      from found join q on true
      cross join lateral (
        select * from knowledge.kb_chunks c where c.collection_id = q.collection_id and c.document_id = found.document_id
      ) c
    ),
    ranked as (
      select r.*,
             row_number() over (partition by r.document_id order by r.text_rank desc, r.vector_best desc, r.ordinal) as passage,
             r.document_score * r.text_rank / nullif(max(r.text_rank) over (partition by r.document_id), 0) as further_score
      from rated r
    ),
    chosen as (
      select ranked.*, document_score as score from ranked where passage = 1
      union all
      (select ranked.*, further_score as score from ranked where passage > 1 and matches and further_score > 0
       order by further_score desc, position, passage limit ${options.extra})
    )
    select b.id, b.document_id, d.name as document_name, b.collection_id, b.heading_path, b.char_start, b.char_end,
           b.content, b.score, b.position, b.passage,
           ts_headline(b.language, b.content, b.q,
                       ${`StartSel=${START_MARK}, StopSel=${STOP_MARK}, MaxWords=35, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "`}) as snippet
    from chosen b join knowledge.kb_documents d on d.id = b.document_id`);
  const rows = await passages;
  // Best first; a tie keeps the documents' fused order, then each document's passage order (as
  // the choice of further passages above).
  return rows.sort(
    (a, b) =>
      Number(b.score) - Number(a.score) || Number(a.position) - Number(b.position) || a.passage - b.passage,
  );
}

const escapeHtml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The snippet is safe to show as HTML: the text is escaped, only the `<b>` marks are markup. */
const markSnippet = (raw: string) =>
  escapeHtml(raw.replace(/\s+/g, ' ').trim()).replaceAll(START_MARK, '<b>').replaceAll(STOP_MARK, '</b>');
