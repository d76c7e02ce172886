// Suspension state <-> plain JSON. Lists and objects go into a heap and are referenced by
// position, so shared references and cycles survive the round trip exactly; encoding and decoding
// are iterative, so deep nesting cannot overflow the stack.
import { ENGINE_VERSION } from './compiler/compile.js';
import { ScriptError } from './errors.js';
import { OP, type Program } from './program.js';
import type { Value, ValueObject } from './values.js';

export type EncodedValue = null | number | string | boolean | { $ref: number };
export type HeapEntry = { list: EncodedValue[] } | { object: Record<string, EncodedValue> };

export interface FrameState {
  unit: number;
  pc: number;
  /** Null for the main program, whose slots are the globals. */
  locals: EncodedValue[] | null;
}

export interface SuspendedState {
  engine: 'conduit-basic';
  version: number;
  /** Hash of the program that was suspended. */
  program: string;
  waiting: 'hear' | 'wait';
  globals: EncodedValue[];
  frames: FrameState[];
  heap: HeapEntry[];
}

export interface LiveFrame {
  unit: number;
  pc: number;
  locals: Value[];
}

function put(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}

export function encodeState(
  program: Program,
  waiting: 'hear' | 'wait',
  globals: Value[],
  frames: LiveFrame[],
): SuspendedState {
  const ids = new Map<object, number>();
  const pending: object[] = [];
  const heap: HeapEntry[] = [];
  const enc = (v: Value): EncodedValue => {
    if (v === null || typeof v !== 'object') return v === undefined ? null : v;
    let id = ids.get(v);
    if (id === undefined) {
      id = heap.length;
      ids.set(v, id);
      heap.push({ list: [] });
      pending.push(v);
    }
    return { $ref: id };
  };
  const encodedGlobals = globals.map(enc);
  const encodedFrames = frames.map((f, i) => ({
    unit: f.unit,
    pc: f.pc,
    locals: i === 0 ? null : f.locals.map(enc),
  }));
  for (let i = 0; i < pending.length; i++) {
    const v = pending[i] as Value[] | ValueObject;
    if (Array.isArray(v)) heap[i] = { list: v.map(enc) };
    else {
      const object: Record<string, EncodedValue> = {};
      for (const key of Object.keys(v)) put(object, key, enc(v[key] ?? null));
      heap[i] = { object };
    }
  }
  return {
    engine: 'conduit-basic',
    version: ENGINE_VERSION,
    program: program.hash,
    waiting,
    globals: encodedGlobals,
    frames: encodedFrames,
    heap,
  };
}

function invalid(detail: string): ScriptError {
  return new ScriptError('INVALID_STATE', `The saved state is damaged and cannot be resumed: ${detail}`);
}

const isRecord = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

/** Checks a state (which may come from any storage) against the program and rebuilds live values. */
export function decodeState(
  program: Program,
  state: unknown,
): { waiting: 'hear' | 'wait'; globals: Value[]; frames: LiveFrame[] } {
  if (!isRecord(state) || state.engine !== 'conduit-basic') throw invalid('it is not a Conduit BASIC state');
  if (state.version !== ENGINE_VERSION) {
    throw new ScriptError(
      'STALE_STATE',
      `The saved state comes from engine version ${String(state.version)}, this engine is version ${ENGINE_VERSION}; start the script again`,
    );
  }
  if (state.program !== program.hash) {
    throw new ScriptError(
      'STALE_STATE',
      'The script changed since this run was suspended (the saved state belongs to another version of it); start the script again',
    );
  }
  const { heap: rawHeap, globals: rawGlobals, frames: rawFrames, waiting } = state;
  if (waiting !== 'hear' && waiting !== 'wait') throw invalid('unknown waiting reason');
  if (!Array.isArray(rawHeap) || !Array.isArray(rawGlobals) || !Array.isArray(rawFrames)) {
    throw invalid('heap, globals and frames must be lists');
  }
  const containers: (Value[] | ValueObject)[] = rawHeap.map((entry, i) => {
    if (isRecord(entry) && Array.isArray(entry.list)) return [];
    if (isRecord(entry) && isRecord(entry.object)) return {};
    throw invalid(`heap entry ${i} is malformed`);
  });
  const dec = (x: unknown): Value => {
    if (x === null || typeof x === 'string' || typeof x === 'boolean') return x;
    if (typeof x === 'number') {
      if (!Number.isFinite(x)) throw invalid('a number is not finite');
      return x;
    }
    if (isRecord(x) && typeof x.$ref === 'number' && Object.keys(x).length === 1) {
      const c = containers[x.$ref];
      if (c === undefined) throw invalid(`reference ${x.$ref} points outside the heap`);
      return c;
    }
    throw invalid('a value is malformed');
  };
  rawHeap.forEach((entry, i) => {
    const c = containers[i] as Value[] | ValueObject;
    if (Array.isArray(c)) {
      for (const item of (entry as { list: unknown[] }).list) c.push(dec(item));
    } else {
      const source = (entry as { object: Record<string, unknown> }).object;
      for (const key of Object.keys(source)) put(c, key, dec(source[key]));
    }
  });
  if (rawGlobals.length !== program.globalCount)
    throw invalid('the number of variables does not match the program');
  const globals = rawGlobals.map(dec);
  if (rawFrames.length === 0) throw invalid('there is no call frame');
  const frames: LiveFrame[] = rawFrames.map((f, i) => {
    if (!isRecord(f) || typeof f.unit !== 'number' || typeof f.pc !== 'number')
      throw invalid(`frame ${i} is malformed`);
    const unit = program.units[f.unit];
    if (!unit || (i === 0) !== (f.unit === 0)) throw invalid(`frame ${i} names an unknown routine`);
    if (!Number.isInteger(f.pc) || f.pc < 0 || f.pc >= unit.code.length)
      throw invalid(`frame ${i} has a bad position`);
    let locals: Value[];
    if (i === 0) locals = globals;
    else {
      if (!Array.isArray(f.locals) || f.locals.length !== unit.slotCount)
        throw invalid(`frame ${i} has bad locals`);
      locals = f.locals.map(dec);
    }
    const top = i === rawFrames.length - 1;
    if (!top && unit.code[f.pc - 1]?.op !== OP.CALL) throw invalid(`frame ${i} is not at a call`);
    return { unit: f.unit, pc: f.pc, locals };
  });
  return { waiting, globals, frames };
}
