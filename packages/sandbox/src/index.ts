// @conduit/sandbox: RUN JAVASCRIPT in a V8 isolate, RUN PYTHON and RUN BASH under bubblewrap where
// the operator enables it, each with memory, time and output limits and a typed error.
export { commandRunnersFor, sandboxKeywords, sandboxRefusals } from './basic-keywords.js';
export {
  type CommandLanguage,
  type CommandResult,
  commandRunnerAvailability,
  probeCommandRunner,
  type RunCommandOptions,
  runCommand,
} from './command-runner.js';
export {
  type ConsoleLine,
  type JavaScriptResult,
  javaScriptAvailability,
  type RunJavaScriptOptions,
  runJavaScript,
} from './javascript-isolate.js';
export { SandboxError, type SandboxErrorCode } from './sandbox-error.js';
export { readSandboxSettings, type SandboxSettings, sandboxSettingsSchema } from './sandbox-settings.js';
