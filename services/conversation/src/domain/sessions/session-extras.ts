import type { Transaction } from '@conduit/db';
import type { SessionContext } from '../../db/schema.js';
import type { ConversationDeps } from '../../deps.js';
import { chatModel, modelReference, type ResolvedModel, resolveModel } from '../llm/resolve-model.js';

// What a dialog sets for the rest of its session, kept in the session's context beside the dialog
// state: BEGIN SYSTEM PROMPT, USE MODEL and the suggestions of ADD SUGGESTION.

export interface Suggestion {
  key: string;
  text: string;
}

export interface DialogExtras {
  /** BEGIN SYSTEM PROMPT: the session's system prompt for LLM turns. */
  systemPrompt?: string | null;
  /** USE MODEL: a catalog model's name or id, checked when the script chose it. */
  model?: string | null;
  /** ADD SUGGESTION: quick replies offered with the bot's answers until cleared. */
  suggestions?: Suggestion[];
  /** SET HEADER: headers of the script's later HTTP keywords (lower-case names), until CLEAR HEADERS. */
  httpHeaders?: Record<string, string>;
}

export const MAX_SUGGESTIONS = 20;
export const MAX_SYSTEM_PROMPT = 20_000;

/** The dialog's part of a session context (the same object, typed). */
export const extrasOf = (context: SessionContext): DialogExtras => context as SessionContext & DialogExtras;

export const suggestionsOf = (context: SessionContext): Suggestion[] => extrasOf(context).suggestions ?? [];

/** The system prompt a dialog set (BEGIN SYSTEM PROMPT), if any. */
export const sessionSystemPrompt = (turn: { context: SessionContext }): string | null =>
  extrasOf(turn.context).systemPrompt ?? null;

/**
 * The model of the session's LLM calls: the one its dialog chose with USE MODEL while it is still
 * an active model the user may use, else the usual choice (preferences, the bot's llm-model).
 */
export async function resolveSessionModel(
  tx: Transaction,
  deps: ConversationDeps,
  // A turn, or what of one a model is chosen from (sessions sit below turns, which read them).
  turn: { context: SessionContext; session: { userId: string }; settings: Map<string, string> },
): Promise<ResolvedModel> {
  const chosen = extrasOf(turn.context).model;
  if (chosen) {
    const found = await chatModel(tx, deps, modelReference(chosen));
    if (found) return found;
  }
  return resolveModel(tx, deps, turn.session.userId, turn.settings);
}
