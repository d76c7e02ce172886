import { asActor } from '@conduit/auth';
import { eq, sql } from 'drizzle-orm';
import { bots, type SessionContext } from '../../db/schema.js';
import { canOnBot } from '../bots/bot-access.js';
import { readBot } from '../turns/open-turn.js';
import { type OutputMessage, silentSink, type Turn } from '../turns/turn.js';

// Multi-agent keywords (General Bots' ADD BOT, DELEGATE TO BOT, TRANSFER CONVERSATION, BROADCAST
// TO BOTS) in a bot's dialog. Another bot is reached only as the person talking: it must be a bot
// they may use themselves (their own, their team's, or one shared with their organization; an
// app's visitor only the app's bot), looked up under their row-level security and checked again
// on every use, so a script cannot lend its user a bot they could not open.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** At most this many bots added to one session, each with at most this many trigger words. */
export const MAX_ADDED_BOTS = 10;
const MAX_TRIGGERS = 20;

/** ADD BOT: a bot that answers the session's messages mentioning one of its words. */
export interface AddedBot {
  botId: string;
  name: string;
  triggers: string[];
}

type AgentContext = { agents?: AddedBot[] };
const agentsOf = (turn: Pick<Turn, 'context'>) => ((turn.context as AgentContext).agents ??= []);

/**
 * The bot named `ref` (its id, or its name in any case) that the session's user may use, with its
 * settings. Throws a message for the script's author when there is none, never saying whether a
 * bot they may not use exists.
 */
async function peerBot(turn: Turn, ref: string) {
  const { deps, actor } = turn;
  const wanted = ref.trim();
  return asActor(deps.db, actor, async (tx) => {
    const rows = await tx
      .select()
      .from(bots)
      .where(UUID.test(wanted) ? eq(bots.id, wanted) : sql`lower(${bots.name}) = lower(${wanted})`)
      .limit(20);
    const usable = rows.filter((b) => canOnBot(actor, 'bots.read', b));
    if (usable.length === 0) throw new Error(`there is no bot "${wanted.slice(0, 100)}" that you may use`);
    if (usable.length > 1)
      throw new Error(`several bots you may use are named "${wanted.slice(0, 100)}": name it by its id`);
    return readBot(tx, actor, usable[0]!.id);
  });
}

/**
 * The other bot's answer to `message` in this session: its own prompt, model and settings, over
 * the session's history. Its model calls count on the turn's meter, as the session's own do.
 */
async function peerAnswer(turn: Turn, peer: Awaited<ReturnType<typeof peerBot>>, message: string) {
  const outputs: OutputMessage[] = [];
  const peerTurn: Turn = {
    ...turn,
    bot: peer.bot,
    settings: peer.settings,
    // The other bot answers with its own settings, not with what this dialog set for itself.
    context: { kbs: turn.context.kbs ?? [] },
    outputs,
    toolRuns: [],
    sink: silentSink,
  };
  await turn.generateReply(peerTurn, message);
  return outputs
    .filter((o) => o.sender === 'bot')
    .map((o) => o.content)
    .join('\n');
}

/**
 * What of a session's context the bot it is transferred to gets: only what belongs to the session
 * (its knowledge bases; the turn counter is storeTurn's). Everything this bot's dialog set for
 * itself stays behind: its dialog state, SET HEADER's headers (often API keys), its system prompt,
 * USE MODEL, SET CONTEXT, its suggestions and added bots; the other bot, maybe another owner's,
 * must not send this one's secrets or answer as it.
 */
export const handedOver = (context: SessionContext): SessionContext => ({
  dialog: null,
  kbs: context.kbs ?? [],
  ...(context.turn === undefined ? {} : { turn: context.turn }),
});

/** The host methods of the multi-agent keywords for a dialog's turn. */
export function agentKeywords(turn: Turn) {
  return {
    async addBot(ref: string, triggers: string) {
      const peer = await peerBot(turn, ref);
      const words = triggers
        .split(/[,;]/)
        .map((w) => w.trim().toLowerCase())
        .filter(Boolean)
        .slice(0, MAX_TRIGGERS)
        .map((w) => w.slice(0, 100));
      if (words.length === 0) throw new Error('ADD BOT needs at least one trigger word');
      const others = agentsOf(turn).filter((a) => a.botId !== peer.bot.id);
      if (others.length >= MAX_ADDED_BOTS)
        throw new Error(`a session has at most ${MAX_ADDED_BOTS} added bots`);
      (turn.context as AgentContext).agents = [
        ...others,
        { botId: peer.bot.id, name: peer.bot.name, triggers: words },
      ];
    },
    async delegateToBot(message: string, ref: string) {
      return peerAnswer(turn, await peerBot(turn, ref), message);
    },
    async broadcastToBots(message: string) {
      const answers: { bot: string; answer: string }[] = [];
      // One after the other: each answer is a model call on the same turn.
      for (const added of agentsOf(turn)) {
        const peer = await peerBot(turn, added.botId);
        answers.push({ bot: peer.bot.name, answer: await peerAnswer(turn, peer, message) });
      }
      return answers;
    },
    async transferConversation(ref: string) {
      const peer = await peerBot(turn, ref);
      // Stored with the turn (storeTurn), so a turn that fails to store transfers nothing.
      turn.transferTo = peer.bot.id;
      turn.context = handedOver(turn.context);
    },
  };
}

/**
 * The bot added with ADD BOT whose trigger word the message mentions (the first added wins), as a
 * turn of its own sharing this one's outputs and stream (not its context); null when none is
 * mentioned. The added bot must still be one the user may use.
 */
export async function triggeredBot(turn: Turn, text: string): Promise<Turn | null> {
  const added = (turn.context as AgentContext).agents ?? [];
  const lower = text.toLowerCase();
  const hit = added.find((a) =>
    a.triggers.some((w) =>
      new RegExp(`(^|[^\\p{L}\\p{N}])${escapeRegExp(w)}($|[^\\p{L}\\p{N}])`, 'u').test(lower),
    ),
  );
  if (!hit) return null;
  const peer = await peerBot(turn, hit.botId).catch(() => null);
  if (!peer) return null;
  // The added bot answers with its own settings, as peerAnswer's does: not with this dialog's
  // system prompt, model or headers (what it might change of its own is not kept).
  return { ...turn, bot: peer.bot, settings: peer.settings, context: { kbs: turn.context.kbs ?? [] } };
}

const escapeRegExp = (word: string) => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
