import { withoutActor } from '@conduit/db';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import type { KnowledgeDeps } from '../../deps.js';

/** Between two checks while documents keep coming (a check that analyzes takes a second or more). */
const CHECK_INTERVAL_MS = 30_000;

export interface StatisticsRefresher {
  /** After a batch: checks now unless a check ran in the last CHECK_INTERVAL_MS. */
  afterBatch(): void;
  /**
   * Nothing left to index (a bulk load is over): vacuums what the load made new (see
   * vacuumSearchTables) and checks now, or as soon as the running check ends.
   */
  whenIdle(): void;
}

/**
 * Keeps the planner's statistics of the search tables fresh after bulk loads, rather than leave
 * it to autovacuum (which waits until a tenth of a table has changed): a new tenant's collection
 * is otherwise unknown to the planner for its first searches. knowledge.refresh_search_statistics
 * (migration 0010) analyzes the tables when they changed by more than 5% since they were last
 * analyzed. One check at a time, off the indexing transactions; a failed check is only logged.
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
  const check = (idle: boolean) => {
    running = true;
    lastCheck = Date.now();
    (idle ? vacuumSearchTables(deps).then(analyze) : analyze())
      .catch((error: unknown) => deps.log.warn({ err: error }, 'refreshing search statistics failed'))
      .finally(() => {
        running = false;
        if (again) {
          again = false;
          check(true);
        }
      });
  };
  return {
    afterBatch() {
      if (!running && Date.now() - lastCheck >= CHECK_INTERVAL_MS) check(false);
    },
    whenIdle() {
      if (running) again = true;
      else check(true);
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
    await owner.unsafe(`vacuum (skip_locked) ${tables.join(', ')}`);
    return tables;
  } finally {
    await owner.end({ timeout: 5 });
  }
}
