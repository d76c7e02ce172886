import { withoutActor } from '@conduit/db';
import { sql } from 'drizzle-orm';
import type { ConversationDeps } from '../../deps.js';

/**
 * Removes widget visitors admitted before APP_VISITOR_RETENTION with no session active since,
 * with what only they own (their sessions and messages, memories, preferences): a visitor
 * exists for one visitor token and nobody else can read their chats, so nothing else would ever
 * remove them. Runs with no actor through conversation.prune_app_visitors (migration 0009), a
 * batch at a time; answers how many visitors went.
 */
export async function pruneAppVisitors(
  deps: ConversationDeps,
  now = new Date(),
  batch = 1_000,
): Promise<number> {
  const before = new Date(now.getTime() - deps.env.APP_VISITOR_RETENTION).toISOString();
  let removed = 0;
  for (;;) {
    const [row] = await withoutActor(deps.db, (tx) =>
      tx.execute<{ removed: number }>(
        sql`select conversation.prune_app_visitors(${before}::timestamptz, ${batch}::integer) as removed`,
      ),
    );
    const count = Number(row?.removed ?? 0);
    removed += count;
    if (count < batch) return removed;
  }
}
