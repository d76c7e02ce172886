import { asActor } from '@conduit/auth';
import { appendEvent } from '@conduit/bus';
import { conversationEvents, toEventActor } from '@conduit/contracts';
import { type Transaction, uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq, sql } from 'drizzle-orm';
import { messageHistory, outbox, sessions } from '../../db/schema.js';
import { type MessageDto, toMessageDto } from '../messages/message-dto.js';
import type { SessionRow } from '../sessions/session-access.js';
import type { OutputMessage, Turn } from './turn.js';

/**
 * Stores a turn in one transaction: the user's message (if any), everything the bot produced,
 * the session's new context and activity time, and their events. The session must still hold the
 * context the turn started from; if another message changed it meanwhile, nothing is stored and
 * the caller gets a conflict (two answers to one HEAR cannot both win).
 */
export async function storeTurn(
  turn: Turn,
  userText: string | null,
): Promise<{ messages: MessageDto[]; session: SessionRow }> {
  const { deps, actor, session, bot } = turn;
  const expectedTurn = session.context.turn ?? 0;
  return asActor(deps.db, actor, async (tx) => {
    const now = new Date();
    const [updated] = await tx
      .update(sessions)
      .set({
        context: { ...turn.context, turn: expectedTurn + 1 },
        lastActivityAt: now,
        expiresAt: new Date(now.getTime() + deps.env.SESSION_TTL),
      })
      .where(
        and(
          eq(sessions.id, session.id),
          sql`coalesce((${sessions.context}->>'turn')::int, 0) = ${expectedTurn}`,
        ),
      )
      .returning();
    if (!updated)
      throw new DomainError(
        'conflict',
        'Another message to this session was answered meanwhile; reload the conversation and send again.',
      );
    const all: OutputMessage[] = [
      ...(userText !== null ? [{ sender: 'user' as const, content: userText }] : []),
      ...turn.outputs,
    ];
    const messages = await insertMessages(tx, turn, all, now);
    for (const run of turn.toolRuns)
      await appendEvent(
        tx,
        outbox,
        conversationEvents.toolInvoked,
        {
          sessionId: session.id,
          botId: bot.id,
          toolName: run.name,
          caller: run.caller,
          ok: run.ok,
          durationMs: run.durationMs,
        },
        toEventActor(actor),
      );
    return { messages, session: updated };
  });
}

/** Inserts a turn's messages, oldest first, each with its `conversation.message.created` event. */
export async function insertMessages(
  tx: Transaction,
  turn: Pick<Turn, 'actor' | 'session' | 'bot'>,
  all: OutputMessage[],
  now: Date,
) {
  if (all.length === 0) return [];
  const rows = await tx
    .insert(messageHistory)
    .values(
      all.map((m) => ({
        id: uuidv7(),
        sessionId: turn.session.id,
        userId: turn.session.userId,
        botId: turn.bot.id,
        sender: m.sender,
        content: m.content,
        tokensIn: m.tokensIn ?? 0,
        tokensOut: m.tokensOut ?? 0,
        model: m.model ?? null,
        latencyMs: m.latencyMs ?? null,
        metadata: m.metadata ?? {},
        createdAt: now,
      })),
    )
    .returning();
  const ordered = rows.sort((a, b) => (a.id < b.id ? -1 : 1));
  for (const m of ordered)
    await appendEvent(
      tx,
      outbox,
      conversationEvents.messageCreated,
      {
        messageId: m.id,
        sessionId: m.sessionId,
        botId: m.botId,
        userId: m.userId,
        sender: m.sender,
        tokensIn: m.tokensIn,
        tokensOut: m.tokensOut,
        model: m.model,
        latencyMs: m.latencyMs,
      },
      toEventActor(turn.actor),
    );
  return ordered.map(toMessageDto);
}
