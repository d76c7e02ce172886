import { asActor } from '@conduit/auth';
import { appendEvent } from '@conduit/bus';
import { type Actor, conversationEvents } from '@conduit/contracts';
import { type Transaction, uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq, sql } from 'drizzle-orm';
import { messageHistory, outbox, type Sender, type SessionContext, sessions } from '../../db/schema.js';
import type { ConversationDeps } from '../../deps.js';
import type { BotRow } from '../bots/bot-access.js';
import type { UsageMeter } from '../llm/usage-meter.js';
import type { SessionRow } from '../sessions/session-access.js';
import { type MessageDto, toMessageDto } from './message-dto.js';

/** What a reply streams while it is produced (SSE `delta`, `tool`; then `done` or `error`). */
export type ReplyEvent =
  | { type: 'delta'; text: string }
  | { type: 'tool'; name: string; status: 'started' | 'finished' | 'failed'; result?: unknown };

export interface ReplySink {
  emit(event: ReplyEvent): void;
}

export const silentSink: ReplySink = { emit: () => {} };

export interface OutputMessage {
  sender: Sender;
  content: string;
  tokensIn?: number;
  tokensOut?: number;
  model?: string | null;
  latencyMs?: number | null;
  metadata?: Record<string, unknown>;
}

export interface ToolRun {
  name: string;
  caller: 'llm' | 'user';
  ok: boolean;
  durationMs: number;
}

/** One exchange in a session: what it read at the start and what it produced. */
export interface Turn {
  deps: ConversationDeps;
  actor: Actor;
  session: SessionRow;
  bot: BotRow;
  settings: Map<string, string>;
  /** A working copy of the session's context; saved with the turn. */
  context: SessionContext;
  outputs: OutputMessage[];
  toolRuns: ToolRun[];
  sink: ReplySink;
  signal: AbortSignal;
  /** Tokens used by the script's LLM keyword, added to the reply's count. */
  llmTokens?: number;
  /** Every model call of the turn counts here: what its AI credits are charged for. */
  meter: UsageMeter;
}

export interface Usage {
  tokensIn: number;
  tokensOut: number;
}

/**
 * Stores a turn in one transaction: the user's message (if any), everything the bot produced,
 * the session's new context and activity time, and their events. The session must still hold the
 * context the turn started from; if another message changed it meanwhile, nothing is stored and
 * the caller gets a conflict (two answers to one HEAR cannot both win).
 */
export async function storeTurn(
  turn: Turn,
  userText: string | null,
  options: { expectedTurn: number },
): Promise<{ messages: MessageDto[]; session: SessionRow }> {
  const { deps, actor, session, bot } = turn;
  return asActor(deps.db, actor, async (tx) => {
    const nextTurn = options.expectedTurn + 1;
    const now = new Date();
    const [updated] = await tx
      .update(sessions)
      .set({
        context: { ...turn.context, turn: nextTurn },
        lastActivityAt: now,
        expiresAt: new Date(now.getTime() + deps.env.SESSION_TTL),
      })
      .where(
        and(
          eq(sessions.id, session.id),
          sql`coalesce((${sessions.context}->>'turn')::int, 0) = ${options.expectedTurn}`,
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
        eventActor(actor),
      );
    return { messages, session: updated };
  });
}

export const eventActor = (actor: Actor) => ({
  userId: actor.userId,
  sessionId: actor.sessionId,
  orgId: actor.orgId,
});

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
      eventActor(turn.actor),
    );
  return ordered.map(toMessageDto);
}
