// The compiled form: per routine, a flat array of instructions whose expressions are pre-built
// closures. The interpreter never sees the syntax tree.
import type { HearType, HostExprKind, HostStmtKind, TableEvent } from './ast.js';
import type { ToolParameters } from './tool-schema.js';
import type { Value } from './values.js';

export type Slots = Value[];
export type ExprFn = (g: Slots, l: Slots) => Value;
export type SetFn = (g: Slots, l: Slots, value: Value) => void;

export const OP = {
  ASSIGN_LOCAL: 0,
  ASSIGN_GLOBAL: 1,
  SET: 2,
  JUMP: 3,
  JUMP_FALSE: 4,
  JUMP_TRUE: 5,
  FOR_INIT: 6,
  FOR_NEXT: 7,
  EACH_INIT: 8,
  EACH_NEXT: 9,
  CALL: 10,
  RETURN: 11,
  END: 12,
  // Everything from here on talks to the host, so the interpreter leaves its synchronous loop.
  TALK: 20,
  PRINT: 21,
  HEAR: 22,
  WAIT: 23,
  HOST: 24,
} as const;

export type HostCallKind = HostExprKind | HostStmtKind;

export interface HearSpec {
  /** The variable as written in the script, for prompts. */
  variable: string;
  type: HearType;
  options: string[] | null;
}

/**
 * One instruction. Every instruction has the same fields (unused ones stay at their defaults) so
 * the interpreter's dispatch loop sees a single object shape.
 */
export class Instr {
  expr: ExprFn | null = null;
  expr2: ExprFn | null = null;
  expr3: ExprFn | null = null;
  args: ExprFn[] = [];
  set: SetFn | null = null;
  /** Destination slot (loop variable, call or host result); -1 when there is none. */
  slot = -1;
  global = false;
  /** Hidden local slots: FOR end / step, FOR EACH list / position. */
  aux = 0;
  aux2 = 0;
  jump = 0;
  unit = 0;
  host: HostCallKind | null = null;
  hear: HearSpec | null = null;

  constructor(
    readonly op: number,
    readonly line: number,
    readonly column: number,
  ) {}
}

export interface Unit {
  name: string;
  kind: 'main' | 'sub' | 'function';
  params: number;
  slotCount: number;
  /** FUNCTION only: the local slot holding the return value. */
  resultSlot: number;
  code: Instr[];
}

export interface ParamBinding {
  name: string;
  slot: number;
  type: string;
  options: string[] | null;
  optional: boolean;
}

export interface Schedule {
  /** Five-field cron: minute hour day-of-month month day-of-week. */
  cron: string;
  /** What the script wrote in SET SCHEDULE. */
  source: string;
}

export interface Program {
  /** Identifies this compile; suspension states carry it and are refused by a different program. */
  readonly hash: string;
  readonly units: Unit[];
  readonly globalCount: number;
  /** Visible global variables and their slots, for the final `variables` of a run. */
  readonly globalNames: { name: string; slot: number }[];
  readonly params: ParamBinding[];
  /** JSON Schema of the script's PARAMs (the function-call parameters of a tool). */
  readonly parameters: ToolParameters;
  readonly description: string | null;
  readonly schedule: Schedule | null;
  /** ON declarations: the bot table changes that run this script (empty when it has none). */
  readonly tableTriggers: TableTrigger[];
  /** WEBHOOK "name": the public endpoint this script answers, lower case; null without one. */
  readonly webhook: string | null;
}

export interface TableTrigger {
  /** The table's name as bot tables store it (lower case). */
  table: string;
  events: TableEvent[];
}
