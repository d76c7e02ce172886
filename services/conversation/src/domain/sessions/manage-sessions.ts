import { asActor } from '@conduit/auth';
import { appendEvent } from '@conduit/bus';
import { type Actor, conversationEvents } from '@conduit/contracts';
import { keysetPage, uuidv7 } from '@conduit/db';
import { and, eq, getTableColumns } from 'drizzle-orm';
import { outbox, sessions } from '../../db/schema.js';
import type { ConversationDeps } from '../../deps.js';
import { type BotRow, loadBot } from '../bots/bot-access.js';
import { programFor } from '../bots/compile-script.js';
import { readConfiguration, settingsMap } from '../configuration/bot-configuration.js';
import { startDialog } from '../dialog/run-dialog.js';
import { newMeter, type UsageMeter } from '../llm/usage-meter.js';
import { eventActor, insertMessages, type ReplySink, silentSink, type Turn } from '../messages/turn.js';
import { withReservedReply } from '../usage/reserve-reply.js';
import { assertOpen, loadSession, toSessionDto } from './session-access.js';

/**
 * Starts a chat session with a bot the actor may read. A bot with a dialog script runs it until
 * its first HEAR (that is a bot reply: usage is reserved first, and a refusal starts nothing); a
 * bot without one greets with its `welcome-message` setting, if it has one. Throws not_found.
 */
export async function startSession(
  deps: ConversationDeps,
  actor: Actor,
  botId: string,
  input: { channel?: string | undefined; title?: string | undefined },
  sink: ReplySink = silentSink,
) {
  const { bot, settings } = await asActor(deps.db, actor, async (tx) => {
    const bot = await loadBot(tx, actor, botId, 'bots.read');
    return { bot, settings: settingsMap(await readConfiguration(tx, bot.id)) };
  });
  const open = (meter: UsageMeter) => openSession(deps, actor, bot, settings, input, sink, meter);
  // A script runs at the start and may answer (with the LLM too): that is a reply, paid for.
  if (!bot.script) return (await open(newMeter())).result;
  return withReservedReply(deps, bot, /\bLLM\b/i.test(bot.script) ? deps.env.LLM_MAX_TOKENS : 0, open);
}

async function openSession(
  deps: ConversationDeps,
  actor: Actor,
  bot: BotRow,
  settings: Map<string, string>,
  input: { channel?: string | undefined; title?: string | undefined },
  sink: ReplySink,
  meter: UsageMeter,
) {
  const now = new Date();
  const session = {
    id: uuidv7(),
    userId: actor.userId,
    botId: bot.id,
    orgId: actor.orgId,
    channel: input.channel ?? 'api',
    title: input.title ?? null,
    context: {},
    startedAt: now,
    lastActivityAt: now,
    endedAt: null,
    expiresAt: new Date(now.getTime() + deps.env.SESSION_TTL),
  };
  const turn: Turn = {
    deps,
    actor,
    session,
    bot,
    settings,
    context: { turn: 0 },
    outputs: [],
    toolRuns: [],
    sink,
    signal: new AbortController().signal,
    meter,
  };
  // The session row must exist before the script runs: USE TOOL links tools to it.
  await asActor(deps.db, actor, async (tx) => {
    await tx.insert(sessions).values(session);
    await appendEvent(
      tx,
      outbox,
      conversationEvents.sessionStarted,
      { sessionId: session.id, botId: bot.id, userId: actor.userId, channel: session.channel },
      eventActor(actor),
    );
  });
  if (bot.script) await deps.inFlight.track(startDialog(turn, programFor(bot.script)));
  else {
    const welcome = settings.get('welcome-message');
    if (welcome) turn.outputs.push({ sender: 'bot', content: welcome });
  }
  const result = await asActor(deps.db, actor, async (tx) => {
    const [row] = await tx
      .update(sessions)
      .set({ context: { ...turn.context, turn: 0 } })
      .where(eq(sessions.id, session.id))
      .returning();
    const messages = await insertMessages(tx, turn, turn.outputs, new Date());
    return { session: toSessionDto(row!), messages };
  });
  // A script that opens with HEAR says nothing: no reply stored, no message spent.
  return { result, stored: turn.outputs.length > 0 };
}

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

/** Ends a session (its history stays readable). Throws not_found, gone when it already ended. */
export async function endSession(deps: ConversationDeps, actor: Actor, sessionId: string) {
  return asActor(deps.db, actor, async (tx) => {
    const session = await loadSession(tx, actor, sessionId, { forWrite: true, lock: true });
    assertOpen(session);
    const [row] = await tx
      .update(sessions)
      .set({ endedAt: new Date(), context: { ...session.context, dialog: null } })
      .where(eq(sessions.id, sessionId))
      .returning();
    await appendEvent(
      tx,
      outbox,
      conversationEvents.sessionEnded,
      { sessionId, botId: session.botId, userId: session.userId, reason: 'ended' },
      eventActor(actor),
    );
    return toSessionDto(row!);
  });
}

/** Deletes a session with its messages, clicks and tool links. Throws not_found. */
export async function deleteSession(deps: ConversationDeps, actor: Actor, sessionId: string) {
  await asActor(deps.db, actor, async (tx) => {
    const session = await loadSession(tx, actor, sessionId, { forWrite: true, lock: true });
    await tx.delete(sessions).where(eq(sessions.id, sessionId));
    await appendEvent(
      tx,
      outbox,
      conversationEvents.sessionEnded,
      { sessionId, botId: session.botId, userId: session.userId, reason: 'deleted' },
      eventActor(actor),
    );
  });
}
