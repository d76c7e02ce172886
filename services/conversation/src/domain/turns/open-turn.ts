import type { Actor } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import type { ConversationDeps } from '../../deps.js';
import { withAppOverrides } from '../app-visits/app-overrides.js';
import { type BotRow, loadBot } from '../bots/bot-access.js';
import { readConfiguration, settingsMap } from '../configuration/bot-configuration.js';
import type { UsageMeter } from '../llm/usage-meter.js';
import { contextInUse } from '../sessions/sealed-context.js';
import { assertOpen, loadSession, type SessionRow } from '../sessions/session-access.js';
import { type ReplySink, silentSink, type Turn } from './turn.js';

/** What a turn starts from: the session, its bot and the bot's settings. */
export interface TurnSubject {
  session: SessionRow;
  bot: BotRow;
  settings: Map<string, string>;
}

/**
 * A bot the actor may read, with its settings (an app's prompt settings over them, for its visitors). Throws not_found. Both reads go out together (one
 * round trip); the settings of a bot the actor may not read are never used.
 */
export async function readBot(tx: Transaction, actor: Actor, botId: string) {
  const [bot, configuration] = await Promise.all([
    loadBot(tx, actor, botId, 'bots.read'),
    readConfiguration(tx, botId),
  ]);
  return { bot, settings: withAppOverrides(actor, settingsMap(configuration)) };
}

/**
 * The open session a new turn continues, for its own user only, with its bot and settings.
 * Take the session's turn lock first, so this reads what the previous turn stored.
 * Throws not_found, gone when the session has ended or expired.
 */
export async function readSessionTurn(
  tx: Transaction,
  actor: Actor,
  sessionId: string,
): Promise<TurnSubject> {
  const session = await loadSession(tx, actor, sessionId, { forWrite: true });
  assertOpen(session);
  return { session, ...(await readBot(tx, actor, session.botId)) };
}

/**
 * The one place a turn is built: a working copy of the session's context, nothing produced yet,
 * and the meter its model calls count on. A turn nobody watches streams to no one and is never
 * aborted.
 */
export function newTurn(
  deps: ConversationDeps,
  actor: Actor,
  { session, bot, settings }: TurnSubject,
  meter: UsageMeter,
  io: { generateReply: Turn['generateReply']; sink?: ReplySink; signal?: AbortSignal },
): Turn {
  return {
    deps,
    actor,
    session,
    bot,
    settings,
    context: contextInUse(deps.box, session.id, structuredClone(session.context), deps.log),
    outputs: [],
    toolRuns: [],
    generateReply: io.generateReply,
    sink: io.sink ?? silentSink,
    signal: io.signal ?? new AbortController().signal,
    meter,
  };
}
