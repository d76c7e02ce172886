import { rlsContext } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { withActor } from '@conduit/db';
import { and, asc, desc, eq, gt, or, sql } from 'drizzle-orm';
import { messageHistory } from '../../db/schema.js';
import type { ConversationDeps } from '../../deps.js';
import { decodeCursor, encodeCursor } from '../pagination/cursor.js';
import { loadSession } from '../sessions/session-access.js';
import { toMessageDto } from './message-dto.js';

/** A session's messages, oldest first, `limit` at a time. Throws not_found. */
export async function listMessages(
  deps: ConversationDeps,
  actor: Actor,
  sessionId: string,
  page: { limit: number; cursor?: string | undefined },
) {
  const after = decodeCursor(page.cursor);
  return withActor(deps.db, rlsContext(actor), async (tx) => {
    await loadSession(tx, actor, sessionId);
    const rows = await tx
      .select()
      .from(messageHistory)
      .where(
        and(
          eq(messageHistory.sessionId, sessionId),
          after
            ? or(
                gt(messageHistory.createdAt, after.at),
                and(eq(messageHistory.createdAt, after.at), gt(messageHistory.id, after.id)),
              )
            : sql`true`,
        ),
      )
      .orderBy(asc(messageHistory.createdAt), asc(messageHistory.id))
      .limit(page.limit + 1);
    const items = rows.slice(0, page.limit);
    const last = rows.length > page.limit ? items[items.length - 1] : undefined;
    return {
      items: items.map(toMessageDto),
      nextCursor: last ? encodeCursor(last.createdAt, last.id) : null,
    };
  });
}

/**
 * Full-text search over the actor's own conversations (never anyone else's, platform admin
 * included: this is "my messages"), best match first, with the matching words marked.
 */
export async function searchMessages(
  deps: ConversationDeps,
  actor: Actor,
  query: { q: string; limit: number },
) {
  return withActor(deps.db, rlsContext(actor), async (tx) => {
    const tsquery = sql`websearch_to_tsquery('simple', ${query.q})`;
    const rank = sql<number>`ts_rank(${messageHistory.searchVector}, ${tsquery})`;
    const rows = await tx
      .select({
        message: messageHistory,
        rank,
        snippet: sql<string>`ts_headline('simple', ${messageHistory.content}, ${tsquery}, 'StartSel=<b>, StopSel=</b>, MaxFragments=2')`,
      })
      .from(messageHistory)
      .where(and(eq(messageHistory.userId, actor.userId), sql`${messageHistory.searchVector} @@ ${tsquery}`))
      .orderBy(desc(rank), desc(messageHistory.createdAt))
      .limit(query.limit);
    return {
      items: rows.map((r) => ({ ...toMessageDto(r.message), snippet: r.snippet, rank: Number(r.rank) })),
      nextCursor: null,
    };
  });
}
