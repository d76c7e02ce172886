import { asActor } from '@conduit/auth';
import { appendEvent, appendEvents } from '@conduit/bus';
import { conversationEvents, toEventActor } from '@conduit/contracts';
import { type Transaction, uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq, sql } from 'drizzle-orm';
import { messageHistory, outbox, sessions } from '../../db/schema.js';
import { type MessageDto, toMessageDto } from '../messages/message-dto.js';
import { contextAtRest } from '../sessions/sealed-context.js';
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
    const all: OutputMessage[] = [
      ...(userText !== null ? [{ sender: 'user' as const, content: userText }] : []),
      ...turn.outputs,
    ];
    // The session's update (sent first) and the messages with their events go out together (one
    // round trip); when the turn check fails, the conflict rolls the messages back with them.
    const [[updated], messages] = await Promise.all([
      tx
        .update(sessions)
        .set({
          context: contextAtRest(deps.box, session.id, { ...turn.context, turn: expectedTurn + 1 }),
          ...(turn.transferTo ? { botId: turn.transferTo } : {}),
          lastActivityAt: now,
          expiresAt: new Date(now.getTime() + deps.env.SESSION_TTL),
        })
        .where(
          and(
            eq(sessions.id, session.id),
            sql`coalesce((${sessions.context}->>'turn')::int, 0) = ${expectedTurn}`,
          ),
        )
        .returning()
        .execute(),
      insertMessages(tx, turn, all, now),
    ]);
    if (!updated)
      throw new DomainError(
        'conflict',
        'Another message to this session was answered meanwhile; reload the conversation and send again.',
      );
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

/**
 * Inserts a turn's messages, oldest first, each with its `conversation.message.created` event: the
 * rows and the events (one insert, one relay wake-up) go out together, in one round trip.
 */
export async function insertMessages(
  tx: Transaction,
  turn: Pick<Turn, 'actor' | 'session' | 'bot'>,
  all: OutputMessage[],
  now: Date,
) {
  if (all.length === 0) return [];
  const values = all
    .map((m) => ({
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
    }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  const [rows] = await Promise.all([
    tx.insert(messageHistory).values(values).returning().execute(),
    appendEvents(
      tx,
      outbox,
      conversationEvents.messageCreated,
      values.map((m) => ({
        data: {
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
        actor: toEventActor(turn.actor),
      })),
    ),
  ]);
  return rows.sort((a, b) => (a.id < b.id ? -1 : 1)).map(toMessageDto);
}
