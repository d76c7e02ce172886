import { asActor } from '@conduit/auth';
import { appendEvent } from '@conduit/bus';
import { type Actor, conversationEvents, toEventActor } from '@conduit/contracts';
import { keysetPage, type Transaction } from '@conduit/db';
import { and, eq, getTableColumns } from 'drizzle-orm';
import { outbox, sessions } from '../../db/schema.js';
import type { ConversationDeps } from '../../deps.js';
import { contextWhenEnded } from './sealed-context.js';
import { assertOpen, loadSession, type SessionRow, toSessionDto } from './session-access.js';

/** The actor's sessions, newest first (`?botId=` for one bot's). Throws bad_request for a bad cursor. */
export async function listSessions(
  deps: ConversationDeps,
  actor: Actor,
  query: { limit: number; cursor?: string | undefined; botId?: string | undefined },
) {
  const page = keysetPage({ by: [sessions.startedAt, sessions.id], order: 'desc' }, query);
  return asActor(deps.db, actor, async (tx) => {
    const rows = await tx
      .select({ ...getTableColumns(sessions), pageKey: page.key })
      .from(sessions)
      .where(
        and(
          eq(sessions.userId, actor.userId),
          query.botId ? eq(sessions.botId, query.botId) : undefined,
          page.after,
        ),
      )
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, toSessionDto);
  });
}

export async function getSession(deps: ConversationDeps, actor: Actor, sessionId: string) {
  return asActor(deps.db, actor, async (tx) => toSessionDto(await loadSession(tx, actor, sessionId)));
}

/**
 * Ends a session (its history stays readable; its dialog and SET HEADER headers go). Throws
 * not_found, gone when it already ended.
 */
export async function endSession(deps: ConversationDeps, actor: Actor, sessionId: string) {
  return asActor(deps.db, actor, async (tx) => {
    const session = await loadSession(tx, actor, sessionId, { forWrite: true, lock: true });
    assertOpen(session);
    const [row] = await tx
      .update(sessions)
      .set({ endedAt: new Date(), context: contextWhenEnded(session.context) })
      .where(eq(sessions.id, sessionId))
      .returning();
    await appendSessionEnded(tx, actor, session, 'ended');
    return toSessionDto(row!);
  });
}

/** Deletes a session with its messages, clicks and tool links. Throws not_found. */
export async function deleteSession(deps: ConversationDeps, actor: Actor, sessionId: string) {
  await asActor(deps.db, actor, async (tx) => {
    const session = await loadSession(tx, actor, sessionId, { forWrite: true, lock: true });
    await tx.delete(sessions).where(eq(sessions.id, sessionId));
    await appendSessionEnded(tx, actor, session, 'deleted');
  });
}

/** `conversation.session.ended`, for a session ended or deleted (the same transaction as the change). */
function appendSessionEnded(tx: Transaction, actor: Actor, session: SessionRow, reason: 'ended' | 'deleted') {
  return appendEvent(
    tx,
    outbox,
    conversationEvents.sessionEnded,
    { sessionId: session.id, botId: session.botId, userId: session.userId, reason },
    toEventActor(actor),
  );
}
