import type { Actor } from '@conduit/contracts';
import type { ConversationDeps } from '../../deps.js';
import { visitOf } from './visitor-actor.js';

/**
 * The bot's settings as a turn through an app sees them: the app's prompt settings take the place
 * of the bot's `system-prompt`, `llm-model`, `llm-temperature` and `llm-max-tokens`. Other actors
 * get the settings as they are.
 */
export function withAppOverrides(actor: Actor, settings: Map<string, string>): Map<string, string> {
  const prompt = visitOf(actor)?.prompt;
  if (!prompt) return settings;
  if (prompt.systemPrompt !== null) settings.set('system-prompt', prompt.systemPrompt);
  if (prompt.model !== null) settings.set('llm-model', prompt.model);
  if (prompt.temperature !== null) settings.set('llm-temperature', String(prompt.temperature));
  if (prompt.maxTokens !== null) settings.set('llm-max-tokens', String(prompt.maxTokens));
  return settings;
}

/** The most tokens a reply may use: the `llm-max-tokens` setting when it is a sane number, else LLM_MAX_TOKENS. */
export function replyMaxTokens(deps: ConversationDeps, settings: Map<string, string>): number {
  const set = Number(settings.get('llm-max-tokens'));
  return Number.isInteger(set) && set >= 16 && set <= 32_000 ? set : deps.env.LLM_MAX_TOKENS;
}

/** The `llm-temperature` setting when it is one (0 to 2); undefined leaves it to the provider. */
export function replyTemperature(settings: Map<string, string>): number | undefined {
  const raw = settings.get('llm-temperature');
  const set = raw === undefined || raw.trim() === '' ? Number.NaN : Number(raw);
  return Number.isFinite(set) && set >= 0 && set <= 2 ? set : undefined;
}
