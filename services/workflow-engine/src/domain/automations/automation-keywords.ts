import type { CompileOptions } from '@conduit/basic';
import { commandRunnersFor, type SandboxSettings } from '@conduit/sandbox';

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
