import type { Actor } from '@conduit/contracts';
import type { basicTools, Sender, SessionContext } from '../../db/schema.js';
import type { ConversationDeps } from '../../deps.js';
import type { BotRow } from '../bots/bot-access.js';
import type { ResolvedModel } from '../llm/resolve-model.js';
import type { UsageMeter } from '../llm/usage-meter.js';
import type { SessionRow } from '../sessions/session-access.js';

/**
 * What a reply streams while it is produced (SSE `delta`, `tool`, `suggestions` with the whole
 * list each time a dialog changes it; then `done` or `error`).
 */
export type ReplyEvent =
  | { type: 'delta'; text: string }
  | { type: 'tool'; name: string; status: 'started' | 'finished' | 'failed'; result?: unknown }
  | { type: 'suggestions'; suggestions: { key: string; text: string }[] };

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

/** What an LLM reply is built from, for the bot it was read for (replies/generate-reply.ts reads it). */
export interface ReplyInputs {
  bot: BotRow;
  resolved: ResolvedModel;
  history: { sender: string; content: string }[];
  tools: (typeof basicTools.$inferSelect)[];
  saved: string | null;
}

/** One exchange in a session: what it read at the start and what it produced. */
export interface Turn {
  deps: ConversationDeps;
  actor: Actor;
  /** The session as the turn read it: storeTurn stores only if no other turn changed it since. */
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
  /** TRANSFER CONVERSATION: the bot that answers the session from the next message on. */
  transferTo?: string;
  /**
   * Writes an LLM reply to `userText` into a turn (replies/generate-reply.ts): how a script's agent
   * keywords get another bot's answer. It comes with the turn because replies run dialogs and tools
   * whose scripts call it back; dialog importing replies would close a folder loop.
   */
  generateReply: (turn: Turn, userText: string) => Promise<void>;
  /** What an LLM reply is built from, read with the session (one transaction); used once. */
  replyInputs?: ReplyInputs | undefined;
}
