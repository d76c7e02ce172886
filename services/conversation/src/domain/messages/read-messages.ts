import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { keysetPage } from '@conduit/db';
import { and, eq, getTableColumns, sql } from 'drizzle-orm';
import { messageHistory } from '../../db/schema.js';
import type { ConversationDeps } from '../../deps.js';
import { loadSession } from '../sessions/session-access.js';
import { toMessageDto } from './message-dto.js';

/** A session's messages, oldest first, `limit` at a time. Throws not_found, bad_request for a bad cursor. */
export async function listMessages(
  deps: ConversationDeps,
  actor: Actor,
  sessionId: string,
  query: { limit: number; cursor?: string | undefined },
) {
  const page = keysetPage({ by: [messageHistory.createdAt, messageHistory.id], order: 'asc' }, query);
  return asActor(deps.db, actor, async (tx) => {
    await loadSession(tx, actor, sessionId);
    const rows = await tx
      .select({ ...getTableColumns(messageHistory), pageKey: page.key })
      .from(messageHistory)
      .where(and(eq(messageHistory.sessionId, sessionId), page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, toMessageDto);
  });
}

/**
 * Full-text search over the actor's own conversations (never anyone else's, platform admin
 * included: this is "my messages"), best match first, with the matching words marked.
 */
export async function searchMessages(
  deps: ConversationDeps,
  actor: Actor,
  query: { q: string; limit: number; cursor?: string | undefined },
) {
  const tsquery = sql`websearch_to_tsquery('simple', ${query.q})`;
  const rank = sql<number>`ts_rank(${messageHistory.searchVector}, ${tsquery})`;
  const page = keysetPage(
    { by: [{ sql: rank, type: 'real' }, messageHistory.createdAt, messageHistory.id], order: 'desc' },
    query,
  );
  return asActor(deps.db, actor, async (tx) => {
    const rows = await tx
      .select({
        message: messageHistory,
        rank,
        snippet: sql<string>`ts_headline('simple', ${messageHistory.content}, ${tsquery}, 'StartSel=<b>, StopSel=</b>, MaxFragments=2')`,
        pageKey: page.key,
      })
      .from(messageHistory)
      .where(
        and(
          eq(messageHistory.userId, actor.userId),
          sql`${messageHistory.searchVector} @@ ${tsquery}`,
          page.after,
        ),
      )
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, (r) => ({ ...toMessageDto(r.message), snippet: r.snippet, rank: Number(r.rank) }));
  });
}
