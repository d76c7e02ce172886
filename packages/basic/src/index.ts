// @conduit/basic: the General Bots BASIC dialect, compiled to flat instructions, sandboxed, with
// suspend and resume through plain JSON state.
export type { FileHostKind, HearType, TableEvent } from './ast.js';
export {
  type CompileError,
  type CompileOptions,
  type CompileResult,
  compile,
  ENGINE_VERSION,
} from './compiler/compile.js';
export { type ErrorCode, HostUnavailableError, ScriptError, type ScriptErrorInfo } from './errors.js';
export { checkAnswer } from './hear-types.js';
export type { BasicHost, HostInput } from './host.js';
export {
  type HearPrompt,
  type ResumeOptions,
  type RunOptions,
  type RunResult,
  resume,
  run,
} from './interpreter.js';
export { type KeywordRefusals, refusedKeywords } from './keyword-refusals.js';
export { type KeywordOptions, UNAVAILABLE_KEYWORDS } from './keyword-status.js';
export { mailRecipients } from './mail-recipients.js';
export { WEBHOOK_NAME } from './parser.js';
export type { ParamBinding, Program, Schedule, TableTrigger } from './program.js';
export { parseSchedule, type ScheduleResult } from './schedule.js';
export type { EncodedValue, FrameState, HeapEntry, SuspendedState } from './state.js';
export {
  type FilterNode,
  type FilterOp,
  type FilterValue,
  matchesFilter,
  numericOf,
  parseTableFilter,
  tableName,
} from './table-filter.js';
export type { ParameterSchema, ToolParameters } from './tool-schema.js';
export {
  type ExtractionModel,
  jsonOfAnswer,
  MAX_UNSTRUCTURED_TEXT,
  saveFromUnstructuredWith,
} from './unstructured.js';
export { DEFAULT_LIMITS, type Limits, type Value, type ValueObject } from './values.js';
