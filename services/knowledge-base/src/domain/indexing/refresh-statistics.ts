import { withoutActor } from '@conduit/db';
import { sql } from 'drizzle-orm';
import type { KnowledgeDeps } from '../../deps.js';

/** Between two checks while documents keep coming (a check that analyzes takes a second or more). */
const CHECK_INTERVAL_MS = 30_000;

export interface StatisticsRefresher {
  /** After a batch: checks now unless a check ran in the last CHECK_INTERVAL_MS. */
  afterBatch(): void;
  /** Nothing left to index (a bulk load is over): checks now, or as soon as the running check ends. */
  whenIdle(): void;
}

/**
 * Keeps the planner's statistics of the search tables fresh after bulk loads, rather than leave
 * it to autovacuum (which waits until a tenth of a table has changed): a new tenant's collection
 * is otherwise unknown to the planner for its first searches. knowledge.refresh_search_statistics
 * (migration 0010) analyzes the tables when they changed by more than 5% since they were last
 * analyzed. One check at a time, off the indexing transactions; a failed check is only logged.
 */
export function statisticsRefresher(deps: Pick<KnowledgeDeps, 'db' | 'log'>): StatisticsRefresher {
  let running = false;
  let again = false;
  let lastCheck = 0;
  const check = () => {
    running = true;
    lastCheck = Date.now();
    withoutActor(deps.db, (tx) =>
      tx.execute<{ analyzed: boolean }>(sql`select knowledge.refresh_search_statistics() as analyzed`),
    )
      .then(([row]) => {
        if (row?.analyzed) deps.log.info('analyzed the search tables after a bulk load');
      })
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
