import { withoutActor } from '@conduit/db';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import type { KnowledgeDeps } from '../../deps.js';

/** Between two checks while documents keep coming (a check that analyzes reads a sample of each table). */
const CHECK_INTERVAL_MS = 30_000;

export interface StatisticsRefresher {
  /** After a batch: checks now unless a check ran in the last CHECK_INTERVAL_MS. */
  afterBatch(): void;
  /** Nothing left to index (a bulk load is over): checks now, or as soon as the running check ends. */
  whenIdle(): void;
}

/**
 * Keeps the search tables ready for search after bulk loads, rather than leave it to autovacuum
 * (which waits until a fifth of a table is new): each check vacuums what the load made new (see
 * vacuumSearchTables), then knowledge.refresh_search_statistics (migrations 0010, 0016) analyzes
 * the documents and the postings when they changed by more than 5% since they were last analyzed,
 * or a new tenant's collection would be unknown to the planner for its first searches. The checks
 * during a load vacuum too, so that what is left when it ends is what came in since the last
 * check: the tenant's first questions, asked as the load ends, share the machine with that
 * vacuum. One check at a time, off the indexing transactions; a failed check is only logged.
 */
export function statisticsRefresher(
  deps: Pick<KnowledgeDeps, 'db' | 'log'> & { env: { SERVICE_DATABASE_URL: string } },
): StatisticsRefresher {
  let running = false;
  let again = false;
  let lastCheck = 0;
  const analyze = async () => {
    const [row] = await withoutActor(deps.db, (tx) =>
      tx.execute<{ analyzed: boolean }>(sql`select knowledge.refresh_search_statistics() as analyzed`),
    );
    if (row?.analyzed) deps.log.info('analyzed the search tables after a bulk load');
  };
  const check = () => {
    running = true;
    lastCheck = Date.now();
    vacuumSearchTables(deps)
      .then(analyze)
      .catch((error: unknown) => deps.log.warn({ err: error }, 'refreshing search statistics failed'))
      .finally(() => {
        running = false;
        if (again) {
          again = false;
          check();
        }
      });
  };
  return {
    afterBatch() {
      if (!running && Date.now() - lastCheck >= CHECK_INTERVAL_MS) check();
    },
    whenIdle() {
      if (running) again = true;
      else check();
    },
  };
}

/**
 * Vacuums the postings and the documents when rows written or replaced since their last vacuum
 * are more than 5% of them (and 1,000): search reads a word's postings and the documents' lengths
 * from covering indexes (migration 0013), which answer alone only for rows the visibility map
 * marks visible to everyone, and autovacuum comes by only once a fifth of a table is new, a
 * minute or more later. Without this, a tenant's first questions after a bulk load read a table
 * page per posting. Only the tables' owner may vacuum, and VACUUM cannot run in a function as
 * ANALYZE does (refresh_search_statistics), so this is the one thing the worker does as the
 * owner, on a connection opened for it. A table another vacuum holds is skipped. Dead rows are
 * cleaned as usual: a page that keeps one is not marked visible (documents are updated as they
 * are indexed, and skipping index cleanup left most of their pages unmarked).
 */
async function vacuumSearchTables(
  deps: Pick<KnowledgeDeps, 'db'> & { env: { SERVICE_DATABASE_URL: string } },
): Promise<string[]> {
  // Asked as the runtime role (the statistics are everyone's to read): the worker is idle after
  // most batches of a trickle of uploads, and an owner connection each time would cost a backend.
  const stale = await withoutActor(deps.db, (tx) =>
    tx.execute<{ relname: 'kb_terms' | 'kb_documents' }>(sql`
      select s.relname from pg_stat_user_tables s join pg_class c on c.oid = s.relid
      where s.schemaname = 'knowledge' and s.relname in ('kb_terms', 'kb_documents')
        and s.n_ins_since_vacuum + s.n_dead_tup > 1000 + 0.05 * greatest(c.reltuples, 0)`),
  );
  const tables = stale.map((row) => `knowledge.${row.relname}`);
  if (tables.length === 0) return tables;
  const owner = postgres(deps.env.SERVICE_DATABASE_URL, {
    max: 1,
    onnotice: () => {},
    connection: { application_name: 'knowledge-base-worker vacuum' },
  });
  try {
    // One process: a parallel worker for the indexes' cleanup took 55 ms to start where the work
    // took 0.4 (the new postings of a load are only appended, so there is nothing to remove), and
    // a tenant's first searches share the machine with it (200,000 new postings: 100 -> 13 ms).
    await owner.unsafe(`vacuum (skip_locked, parallel 0) ${tables.join(', ')}`);
    return tables;
  } finally {
    await owner.end({ timeout: 5 });
  }
}
