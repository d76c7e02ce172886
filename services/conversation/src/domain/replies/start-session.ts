import { asActor } from '@conduit/auth';
import { appendEvent } from '@conduit/bus';
import { type Actor, conversationEvents, toEventActor } from '@conduit/contracts';
import { uuidv7 } from '@conduit/db';
import { eq } from 'drizzle-orm';
import { outbox, sessions } from '../../db/schema.js';
import type { ConversationDeps } from '../../deps.js';
import { programFor } from '../bots/compile-script.js';
import { startDialog } from '../dialog/run-dialog.js';
import { scriptTokens } from '../dialog/script-host.js';
import { newMeter, type UsageMeter } from '../llm/usage-meter.js';
import { contextAtRest } from '../sessions/sealed-context.js';
import { toSessionDto } from '../sessions/session-access.js';
import { newTurn, readBot } from '../turns/open-turn.js';
import { insertMessages } from '../turns/store-turn.js';
import { type ReplySink, silentSink } from '../turns/turn.js';
import { withReservedReply } from '../usage/reserve-reply.js';
import { generateReply } from './generate-reply.js';

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
  const { bot, settings } = await asActor(deps.db, actor, (tx) => readBot(tx, actor, botId));
  const open = (meter: UsageMeter) => openSession(deps, actor, { bot, settings }, input, sink, meter);
  // A script runs at the start and may answer (with the LLM too): that is a reply, paid for.
  if (!bot.script) return (await open(newMeter())).result;
  return withReservedReply(deps, actor, bot, scriptTokens(deps, bot.script), open);
}

async function openSession(
  deps: ConversationDeps,
  actor: Actor,
  { bot, settings }: Awaited<ReturnType<typeof readBot>>,
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
    context: { turn: 0 },
    startedAt: now,
    lastActivityAt: now,
    endedAt: null,
    expiresAt: new Date(now.getTime() + deps.env.SESSION_TTL),
  };
  const turn = newTurn(deps, actor, { session, bot, settings }, meter, { generateReply, sink });
  // The session row must exist before the script runs: USE TOOL links tools to it.
  await asActor(deps.db, actor, async (tx) => {
    await tx.insert(sessions).values(session);
    await appendEvent(
      tx,
      outbox,
      conversationEvents.sessionStarted,
      { sessionId: session.id, botId: bot.id, userId: actor.userId, channel: session.channel },
      toEventActor(actor),
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
      .set({
        context: contextAtRest(deps.box, session.id, { ...turn.context, turn: 0 }),
        ...(turn.transferTo ? { botId: turn.transferTo } : {}),
      })
      .where(eq(sessions.id, session.id))
      .returning();
    const messages = await insertMessages(tx, turn, turn.outputs, new Date());
    return { session: toSessionDto(row!), messages };
  });
  // A script that opens with HEAR says nothing: no reply stored, no message spent.
  return { result, stored: turn.outputs.length > 0 };
}
