import {
  type CompileOptions,
  type CompileResult,
  compile,
  type KeywordRefusals,
  refusedKeywords,
} from '@conduit/basic';
import { commandRunnersFor, type SandboxSettings, sandboxRefusals } from '@conduit/sandbox';

const offered = new WeakMap<SandboxSettings, CompileOptions>();

/**
 * What this server offers automations' scripts beyond the engine: RUN PYTHON / RUN BASH only where
 * its operator enabled a sandbox runner (checked once per configuration: it looks for programs).
 */
export function automationCompileOptions(env: SandboxSettings): CompileOptions {
  let options = offered.get(env);
  if (!options) {
    options = { commandRunners: commandRunnersFor(env) };
    offered.set(env, options);
  }
  return options;
}

const NO_CHAT =
  "does not apply to an automation: bots talk to bots inside a chat session, as the person in it, and an automation runs on a schedule with neither; use it in the bot's dialog";

/**
 * General Bots' multi-agent keywords in an automation: each fails to compile, saying why. DELEGATE
 * and BROADCAST answer as the other bot over a chat's history, ADD BOT and TRANSFER CONVERSATION
 * change who answers a chat; an automation has no chat and no user whose bots it may reach.
 */
export const AUTOMATION_REFUSALS: KeywordRefusals = {
  addBot: NO_CHAT,
  delegateToBot: NO_CHAT,
  transferConversation: NO_CHAT,
  broadcastToBots: NO_CHAT,
};

/** An automation's script compiled as this server runs it: refused keywords are compile errors. */
export function compileAutomation(script: string, env: SandboxSettings): CompileResult {
  const compiled = compile(script, automationCompileOptions(env));
  if (!compiled.ok) return compiled;
  // RUN JAVASCRIPT too, where this process cannot load its isolate.
  const refused = refusedKeywords(compiled.program, { ...sandboxRefusals(), ...AUTOMATION_REFUSALS });
  return refused.length ? { ok: false, errors: refused } : compiled;
}
