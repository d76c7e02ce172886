// The interpreter: a synchronous dispatch loop over flat instruction arrays, left only for host
// calls (TALK, HEAR, WAIT, platform keywords). run() and resume() never throw: every failure,
// including a broken host or a damaged state, comes back as { status: 'error' }.
import type { HearType } from './ast.js';
import { type ErrorCode, HostUnavailableError, ScriptError, type ScriptErrorInfo } from './errors.js';
import { checkAnswer } from './hear-types.js';
import { type BasicHost, HOST_KEYWORDS, type HostInput } from './host.js';
import { type HostCallKind, type Instr, OP, type Program, type Slots } from './program.js';
import { decodeState, encodeState, type LiveFrame, type SuspendedState } from './state.js';
import {
  DEFAULT_LIMITS,
  enterRuntime,
  fromHost,
  type Limits,
  plainValue,
  type Runtime,
  toNumber,
  toText,
  truthy,
  typeName,
  type Value,
} from './values.js';

export interface RunOptions {
  host: HostInput;
  /** PARAM values (tool arguments) and initial values of other variables, by name (any case). */
  input?: Record<string, unknown>;
  limits?: Partial<Limits>;
  /** The clock behind NOW, TODAY and relative HEAR dates. */
  now?: () => Date;
}

export type ResumeOptions = Omit<RunOptions, 'input'>;

export interface HearPrompt {
  variable: string;
  type: HearType;
  options: string[] | null;
}

export type RunResult =
  | { status: 'done'; value: Value; variables: Record<string, Value>; steps: number }
  | {
      status: 'suspended';
      reason: 'hear';
      state: SuspendedState;
      prompt: HearPrompt;
      /** The re-ask message TALKed when the last answer did not fit, else null. */
      reask: string | null;
      steps: number;
    }
  | {
      status: 'suspended';
      reason: 'wait';
      state: SuspendedState;
      seconds: number;
      /** When the wait is over, by the run's clock (ISO 8601). */
      resumeAt: string;
      steps: number;
    }
  | { status: 'error'; error: ScriptErrorInfo; steps: number };

const HOST_METHODS: Record<HostCallKind, keyof BasicHost> = {
  getBotMemory: 'getBotMemory',
  getUserMemory: 'getUserMemory',
  find: 'find',
  llm: 'llm',
  httpGet: 'httpGet',
  httpPost: 'httpPost',
  setBotMemory: 'setBotMemory',
  setUserMemory: 'setUserMemory',
  useKb: 'useKb',
  clearKb: 'clearKb',
  useTool: 'useTool',
  clearTools: 'clearTools',
  setContext: 'setContext',
  sendMail: 'sendMail',
  setSystemPrompt: 'setSystemPrompt',
  addSuggestion: 'addSuggestion',
  clearSuggestions: 'clearSuggestions',
  useModel: 'useModel',
  useConnection: 'useConnection',
  remember: 'remember',
  recall: 'recall',
  setUserFact: 'setUserFact',
  userFacts: 'userFacts',
  tableSave: 'tableSave',
  tableInsert: 'tableInsert',
  tableUpdate: 'tableUpdate',
  tableDelete: 'tableDelete',
  tableFind: 'tableFind',
  tableMerge: 'tableMerge',
  httpPut: 'httpPut',
  httpPatch: 'httpPatch',
  httpDelete: 'httpDelete',
  setHeader: 'setHeader',
  clearHeaders: 'clearHeaders',
  graphql: 'graphql',
  soap: 'soap',
  runJavaScript: 'runJavaScript',
  runPython: 'runPython',
  runBash: 'runBash',
  createDraft: 'createDraft',
  addMember: 'addMember',
  addBot: 'addBot',
  delegateToBot: 'delegateToBot',
  transferConversation: 'transferConversation',
  broadcastToBots: 'broadcastToBots',
  saveFromUnstructured: 'saveFromUnstructured',
  useWebsite: 'useWebsite',
  readFile: 'readFile',
  writeFile: 'writeFile',
  listFiles: 'listFiles',
  copyFile: 'copyFile',
  moveFile: 'moveFile',
  deleteFile: 'deleteFile',
  uploadFile: 'uploadFile',
  downloadFile: 'downloadFile',
  compressFiles: 'compressFiles',
  extractFiles: 'extractFiles',
  generatePdf: 'generatePdf',
  mergePdf: 'mergePdf',
};

/** Arguments a host method may be called without (they arrive as null). */
const OPTIONAL_ARGUMENTS: Partial<Record<HostCallKind, number>> = {
  remember: 3,
  sendMail: 4,
  clearKb: 1,
  graphql: 3,
  soap: 3,
  runJavaScript: 2,
  runPython: 2,
  runBash: 2,
};

/** Host methods whose last argument is data, not text. */
const DATA_ARGUMENT: Partial<Record<HostCallKind, number>> = {
  sendMail: 3,
  setBotMemory: 1,
  setUserMemory: 1,
  httpPost: 1,
  remember: 1,
  setUserFact: 1,
  tableSave: 1,
  tableInsert: 1,
  tableUpdate: 2,
  tableMerge: 1,
  httpPut: 1,
  httpPatch: 1,
  graphql: 2,
  soap: 2,
  runJavaScript: 1,
  runPython: 1,
  runBash: 1,
  saveFromUnstructured: 1,
  writeFile: 1,
  compressFiles: 0,
  generatePdf: 1,
  mergePdf: 0,
};

const PARAM_AS_HEAR: Record<string, HearType> = {
  NUMBER: 'NUMBER',
  MONEY: 'MONEY',
  INTEGER: 'INTEGER',
  BOOLEAN: 'BOOLEAN',
  EMAIL: 'EMAIL',
  DATE: 'DATE',
  HOUR: 'HOUR',
  MOBILE: 'MOBILE',
  ZIPCODE: 'ZIPCODE',
};

function isProgram(p: unknown): p is Program {
  return (
    typeof p === 'object' &&
    p !== null &&
    Array.isArray((p as Program).units) &&
    typeof (p as Program).hash === 'string'
  );
}

function failure(e: unknown, steps: number): RunResult {
  if (e instanceof ScriptError) return { status: 'error', error: e.toInfo(), steps };
  const message =
    e instanceof RangeError
      ? 'The script ran out of stack space'
      : `Internal error: ${String((e as Error)?.message ?? e)}`;
  return { status: 'error', error: { line: 0, column: 0, code: 'INTERNAL_ERROR', message }, steps };
}

/** Starts a compiled program. Binds `input` to the PARAMs (required ones must be present). */
export async function run(program: Program, options: RunOptions): Promise<RunResult> {
  let machine: Machine | null = null;
  try {
    if (!isProgram(program))
      throw new ScriptError('ARGUMENT_ERROR', 'run() needs a program returned by compile()');
    machine = new Machine(program, options);
    const globals: Value[] = new Array(program.globalCount).fill(null);
    machine.start(globals, [{ unit: 0, pc: 0, locals: globals }]);
    machine.bindInput(options.input ?? {});
    return await machine.loop(undefined);
  } catch (e) {
    return failure(e, machine?.steps ?? 0);
  }
}

/**
 * Continues a suspended run. `answer` is the user's reply for a HEAR (ignored after a WAIT). A state
 * saved by another compile of a changed script is refused with code STALE_STATE.
 */
export async function resume(
  program: Program,
  state: unknown,
  answer: string | number | boolean | null | undefined,
  options: ResumeOptions,
): Promise<RunResult> {
  let machine: Machine | null = null;
  try {
    if (!isProgram(program))
      throw new ScriptError('ARGUMENT_ERROR', 'resume() needs a program returned by compile()');
    const decoded = decodeState(program, state);
    machine = new Machine(program, options);
    machine.start(decoded.globals, decoded.frames);
    const top = decoded.frames[decoded.frames.length - 1] as LiveFrame;
    const waitingAt = program.units[top.unit]?.code[top.pc];
    if (decoded.waiting === 'hear') {
      if (waitingAt?.op !== OP.HEAR)
        throw new ScriptError('INVALID_STATE', 'The saved state is not waiting at a HEAR');
      if (answer === undefined || answer === null) {
        throw new ScriptError(
          'MISSING_ANSWER',
          'This run is waiting for an answer to HEAR; pass the answer to resume()',
        );
      }
      return await machine.loop(String(answer));
    }
    return await machine.loop(undefined);
  } catch (e) {
    return failure(e, machine?.steps ?? 0);
  }
}

class Machine {
  steps = 0;
  private globals: Slots = [];
  private frames: LiveFrame[] = [];
  private readonly limits: Limits;
  private readonly runtime: Runtime;
  private readonly deadline: number;
  private readonly host: HostInput;
  private result: Value = null;
  private reask: string | null = null;

  constructor(
    private readonly program: Program,
    options: ResumeOptions,
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...(options.limits ?? {}) };
    this.runtime = { limits: this.limits, now: options.now ?? (() => new Date()) };
    this.deadline = Date.now() + this.limits.maxWallTimeMs;
    this.host = options.host ?? {};
  }

  start(globals: Slots, frames: LiveFrame[]): void {
    this.globals = globals;
    this.frames = frames;
  }

  bindInput(input: Record<string, unknown>): void {
    enterRuntime(this.runtime);
    const byName = new Map<string, unknown>();
    if (typeof input === 'object' && input !== null) {
      for (const key of Object.keys(input)) byName.set(key.toUpperCase(), input[key]);
    }
    for (const p of this.program.params) {
      const key = p.name.toUpperCase();
      const raw = byName.get(key);
      byName.delete(key);
      if (raw === undefined || raw === null || raw === '') {
        if (p.optional) continue;
        throw new ScriptError('MISSING_PARAM', `The parameter "${p.name}" is required`);
      }
      this.globals[p.slot] = this.paramValue(p.name, p.type, p.options, fromHost(raw));
    }
    // Other input values preset variables of the same name; unknown names are ignored.
    for (const { name, slot } of this.program.globalNames) {
      const raw = byName.get(name.toUpperCase());
      if (raw !== undefined) this.globals[slot] = fromHost(raw);
    }
  }

  private paramValue(name: string, type: string, options: string[] | null, value: Value): Value {
    const hearType = PARAM_AS_HEAR[type];
    if (options || (hearType && typeof value === 'string')) {
      const check = checkAnswer(toText(value), hearType ?? 'STRING', options, this.runtime.now());
      if (!check.ok)
        throw new ScriptError('INVALID_PARAM', `The parameter "${name}" is not valid: ${check.reask}`);
      return check.value;
    }
    const wrong = (what: string) =>
      new ScriptError('INVALID_PARAM', `The parameter "${name}" must be ${what}, got ${typeName(value)}`);
    if ((type === 'NUMBER' || type === 'MONEY') && typeof value !== 'number') throw wrong('a number');
    if (type === 'INTEGER' && !Number.isInteger(value)) throw wrong('a whole number');
    if (type === 'BOOLEAN' && typeof value !== 'boolean') throw wrong('TRUE or FALSE');
    if ((type === 'LIST' || type === 'ARRAY') && !Array.isArray(value)) throw wrong('a list');
    if (type === 'OBJECT' && (typeof value !== 'object' || value === null || Array.isArray(value)))
      throw wrong('an object');
    if (type === 'STRING' && typeof value === 'object') throw wrong('text');
    return type === 'STRING' ? toText(value) : value;
  }

  /** Runs until the script ends or suspends. `answer` is consumed by the HEAR the run resumes at. */
  async loop(answer: string | undefined): Promise<RunResult> {
    let pendingAnswer = answer;
    for (;;) {
      enterRuntime(this.runtime);
      const ins = this.execute();
      if (ins === null) return this.done();
      const frame = this.frames[this.frames.length - 1] as LiveFrame;
      try {
        if (ins.op === OP.HEAR) {
          if (pendingAnswer === undefined) return this.suspendHear(ins);
          const check = checkAnswer(
            pendingAnswer,
            (ins.hear as { type: HearType }).type,
            ins.hear?.options ?? null,
            this.runtime.now(),
          );
          pendingAnswer = undefined;
          if (!check.ok) {
            this.reask = check.reask;
            await this.callHost('talk', [check.reask]);
            return this.suspendHear(ins);
          }
          enterRuntime(this.runtime);
          ins.set?.(this.globals, frame.locals, check.value);
          frame.pc++;
          continue;
        }
        await this.perform(ins, frame);
        if (ins.op === OP.WAIT) return this.suspendWait(ins, frame);
      } catch (e) {
        throw this.located(e, ins);
      }
    }
  }

  private async perform(ins: Instr, frame: LiveFrame): Promise<void> {
    const g = this.globals;
    const l = frame.locals;
    switch (ins.op) {
      case OP.TALK: {
        const text = toText((ins.expr as NonNullable<Instr['expr']>)(g, l));
        await this.callHost('talk', [text]);
        break;
      }
      case OP.PRINT: {
        const text = ins.args.map((a) => toText(a(g, l))).join(' ');
        if (typeof this.host.print === 'function') await this.callHost('print', [text]);
        break;
      }
      case OP.WAIT:
        break;
      case OP.HOST: {
        const kind = ins.host as HostCallKind;
        const dataAt = DATA_ARGUMENT[kind];
        const args: unknown[] = ins.args.map((a, i) => (i === dataAt ? a(g, l) : toText(a(g, l))));
        const arity = OPTIONAL_ARGUMENTS[kind];
        while (arity !== undefined && args.length < arity) args.push(null);
        const result = await this.callHost(HOST_METHODS[kind], args);
        if (ins.slot >= 0) {
          enterRuntime(this.runtime);
          l[ins.slot] = fromHost(result);
        }
        break;
      }
    }
    frame.pc++;
  }

  /** Calls a host method within the run's remaining wall time; its failures become script errors. */
  private async callHost(method: keyof BasicHost, args: unknown[]): Promise<unknown> {
    const keyword = HOST_KEYWORDS[method];
    const fn = this.host[method] as ((...a: unknown[]) => unknown) | undefined;
    if (typeof fn !== 'function') {
      throw new ScriptError(
        'HOST_UNAVAILABLE',
        `${keyword} is not available here: the host does not provide it`,
      );
    }
    const remaining = this.deadline - Date.now();
    if (remaining <= 0) throw this.timeLimit();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.timeLimit()), remaining);
    });
    try {
      return await Promise.race([Promise.resolve().then(() => fn.apply(this.host, args)), timeout]);
    } catch (e) {
      if (e instanceof ScriptError) throw e;
      if (e instanceof HostUnavailableError) throw new ScriptError('HOST_UNAVAILABLE', e.message);
      throw new ScriptError('HOST_ERROR', `${keyword} failed: ${String((e as Error)?.message ?? e)}`);
    } finally {
      clearTimeout(timer);
    }
  }

  private timeLimit(): ScriptError {
    return new ScriptError(
      'TIME_LIMIT',
      `The script ran longer than the ${this.limits.maxWallTimeMs} ms time limit`,
    );
  }

  private located(e: unknown, ins: Instr): unknown {
    if (e instanceof ScriptError) {
      if (e.line === 0) {
        e.line = ins.line;
        e.column = ins.column;
      }
      return e;
    }
    const code: ErrorCode = 'INTERNAL_ERROR';
    const message =
      e instanceof RangeError
        ? 'The script ran out of stack space'
        : `Internal error: ${String((e as Error)?.message ?? e)}`;
    return new ScriptError(code, message, ins.line, ins.column);
  }

  private done(): RunResult {
    const variables: Record<string, Value> = {};
    for (const { name, slot } of this.program.globalNames) {
      Object.defineProperty(variables, name, {
        value: plainValue(this.globals[slot] ?? null),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return { status: 'done', value: plainValue(this.result), variables, steps: this.steps };
  }

  private suspendHear(ins: Instr): RunResult {
    const hear = ins.hear as NonNullable<Instr['hear']>;
    return {
      status: 'suspended',
      reason: 'hear',
      state: encodeState(this.program, 'hear', this.globals, this.frames),
      prompt: { variable: hear.variable, type: hear.type, options: hear.options ? [...hear.options] : null },
      reask: this.reask,
      steps: this.steps,
    };
  }

  private suspendWait(ins: Instr, frame: LiveFrame): RunResult {
    enterRuntime(this.runtime);
    const seconds = toNumber(
      (ins.expr as NonNullable<Instr['expr']>)(this.globals, frame.locals),
      'a number of seconds for WAIT',
    );
    if (seconds < 0 || seconds - seconds !== 0) {
      throw new ScriptError(
        'ARGUMENT_ERROR',
        `WAIT needs zero or more seconds, got ${seconds}`,
        ins.line,
        ins.column,
      );
    }
    return {
      status: 'suspended',
      reason: 'wait',
      state: encodeState(this.program, 'wait', this.globals, this.frames),
      seconds,
      resumeAt: new Date(this.runtime.now().getTime() + seconds * 1000).toISOString(),
      steps: this.steps,
    };
  }

  /**
   * The hot loop. Returns the host instruction it stopped at (the frame's pc points at it), or
   * null when the program ended.
   */
  private execute(): Instr | null {
    const units = this.program.units;
    const g = this.globals;
    const maxSteps = this.limits.maxSteps;
    const maxDepth = this.limits.maxCallDepth;
    const deadline = this.deadline;
    let frame = this.frames[this.frames.length - 1] as LiveFrame;
    let code = (units[frame.unit] as { code: Instr[] }).code;
    let pc = frame.pc;
    let l = frame.locals;
    let steps = this.steps;
    let ins = code[pc] as Instr;
    try {
      for (;;) {
        if (++steps > maxSteps) {
          throw new ScriptError(
            'STEP_LIMIT',
            `The script ran more than ${maxSteps} steps (is there an endless loop?)`,
          );
        }
        if ((steps & 1023) === 0 && Date.now() > deadline) throw this.timeLimit();
        ins = code[pc++] as Instr;
        switch (ins.op) {
          case OP.ASSIGN_LOCAL:
            l[ins.slot] = (ins.expr as NonNullable<Instr['expr']>)(g, l);
            break;
          case OP.ASSIGN_GLOBAL:
            g[ins.slot] = (ins.expr as NonNullable<Instr['expr']>)(g, l);
            break;
          case OP.SET:
            (ins.set as NonNullable<Instr['set']>)(g, l, (ins.expr as NonNullable<Instr['expr']>)(g, l));
            break;
          case OP.JUMP:
            pc = ins.jump;
            break;
          case OP.JUMP_FALSE: {
            const v = (ins.expr as NonNullable<Instr['expr']>)(g, l);
            if (v === false || (v !== true && !truthy(v))) pc = ins.jump;
            break;
          }
          case OP.JUMP_TRUE: {
            const v = (ins.expr as NonNullable<Instr['expr']>)(g, l);
            if (v === true || (v !== false && truthy(v))) pc = ins.jump;
            break;
          }
          case OP.FOR_INIT: {
            const from = toNumber(
              (ins.expr as NonNullable<Instr['expr']>)(g, l),
              'a number as the start of FOR',
            );
            const to = toNumber(
              (ins.expr2 as NonNullable<Instr['expr']>)(g, l),
              'a number as the end of FOR',
            );
            const step = ins.expr3 ? toNumber(ins.expr3(g, l), 'a number as the STEP of FOR') : 1;
            if (step === 0) throw new ScriptError('ARGUMENT_ERROR', 'FOR with STEP 0 would never end');
            if (ins.global) g[ins.slot] = from;
            else l[ins.slot] = from;
            l[ins.aux] = to;
            l[ins.aux2] = step;
            if (step > 0 ? from > to : from < to) pc = ins.jump;
            break;
          }
          case OP.FOR_NEXT: {
            const step = l[ins.aux2] as number;
            const current = ins.global ? g[ins.slot] : l[ins.slot];
            const next =
              (typeof current === 'number'
                ? current
                : toNumber(current as Value, 'a number in the FOR variable')) + step;
            if (ins.global) g[ins.slot] = next;
            else l[ins.slot] = next;
            if (step > 0 ? next <= (l[ins.aux] as number) : next >= (l[ins.aux] as number)) pc = ins.jump;
            break;
          }
          case OP.EACH_INIT: {
            const source = (ins.expr as NonNullable<Instr['expr']>)(g, l);
            let list: Value[];
            if (Array.isArray(source)) list = source;
            else if (source === null) list = [];
            else if (typeof source === 'object') list = Object.keys(source);
            else throw new ScriptError('TYPE_ERROR', `FOR EACH needs a list, got ${typeName(source)}`);
            l[ins.aux] = list;
            l[ins.aux2] = 0;
            if (list.length === 0) pc = ins.jump;
            else (ins.set as NonNullable<Instr['set']>)(g, l, list[0] as Value);
            break;
          }
          case OP.EACH_NEXT: {
            const list = l[ins.aux] as Value[];
            const position = (l[ins.aux2] as number) + 1;
            if (position < list.length) {
              l[ins.aux2] = position;
              (ins.set as NonNullable<Instr['set']>)(g, l, list[position] as Value);
              pc = ins.jump;
            }
            break;
          }
          case OP.CALL: {
            if (this.frames.length > maxDepth) {
              throw new ScriptError(
                'CALL_DEPTH_LIMIT',
                `Calls are nested more than ${maxDepth} deep (is there endless recursion?)`,
              );
            }
            const unit = units[ins.unit] as { slotCount: number; code: Instr[] };
            const locals: Value[] = new Array(unit.slotCount).fill(null);
            for (let i = 0; i < ins.args.length; i++)
              locals[i] = (ins.args[i] as NonNullable<Instr['expr']>)(g, l);
            frame.pc = pc;
            frame = { unit: ins.unit, pc: 0, locals };
            this.frames.push(frame);
            code = unit.code;
            pc = 0;
            l = locals;
            break;
          }
          case OP.RETURN: {
            const finished = this.frames.pop() as LiveFrame;
            const resultSlot = (units[finished.unit] as { resultSlot: number }).resultSlot;
            frame = this.frames[this.frames.length - 1] as LiveFrame;
            code = (units[frame.unit] as { code: Instr[] }).code;
            pc = frame.pc;
            l = frame.locals;
            const call = code[pc - 1] as Instr;
            if (call.slot >= 0) l[call.slot] = resultSlot >= 0 ? (finished.locals[resultSlot] ?? null) : null;
            break;
          }
          case OP.END:
            if (ins.expr) this.result = ins.expr(g, l);
            frame.pc = pc - 1;
            this.steps = steps;
            return null;
          default:
            frame.pc = pc - 1;
            this.steps = steps;
            return ins;
        }
      }
    } catch (e) {
      frame.pc = pc - 1;
      this.steps = steps;
      throw this.located(e, ins);
    }
  }
}
