// Compiles one routine (or the main program) into a flat instruction array. Calls of FUNCTIONs
// and host keywords inside expressions are hoisted into instructions of their own that store into
// hidden slots, so expressions stay synchronous closures and every suspension point is an
// instruction boundary: the program counter alone says where to resume.
import type { CaseTest, Expr, Pos, RoutineDecl, Stmt, Target } from '../ast.js';
import { BUILTINS } from '../builtins.js';
import { ScriptError } from '../errors.js';
import type { LexError } from '../lexer.js';
import { type ExprFn, type HostCallKind, Instr, OP, type SetFn, type Slots } from '../program.js';
import { parseTableFilter, tableName } from '../table-filter.js';
import {
  checkListSize,
  checkString,
  compare,
  equals,
  getField,
  getIndex,
  setField,
  setIndex,
  toText,
  truthy,
  type Value,
  type ValueObject,
} from '../values.js';
import { add, BINARY, concat, negate, subtract } from './operators.js';

export interface RoutineInfo {
  index: number;
  decl: RoutineDecl;
}

export interface CompileContext {
  routines: Map<string, RoutineInfo>;
  globals: Map<string, number>;
  globalDisplay: Map<string, string>;
  errors: LexError[];
}

interface Ref {
  global: boolean;
  slot: number;
}

interface LoopContext {
  kind: 'FOR' | 'DO';
  exits: Instr[];
}

/** NOW and TODAY may be written without parentheses, so they are never variables. */
const CLOCK_NAMES = new Set(['NOW', 'TODAY']);

/** Suggests the closest known name, for "Unknown function" errors. */
function closest(name: string, candidates: Iterable<string>): string | null {
  let best: string | null = null;
  let bestDistance = 3;
  for (const c of candidates) {
    const d = distance(name, c);
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] as number;
      row[j] = Math.min(
        (row[j] as number) + 1,
        (row[j - 1] as number) + 1,
        prev + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      prev = current;
    }
  }
  return row[b.length] as number;
}

/** Names a block of statements reads or writes, so the main program's names become globals. */
export function collectNames(stmts: Stmt[], out: Map<string, string>): void {
  const expr = (e: Expr | null): void => {
    if (!e) return;
    switch (e.kind) {
      case 'var':
        if (!out.has(e.name) && !CLOCK_NAMES.has(e.name)) out.set(e.name, e.raw ?? e.name);
        return;
      case 'text':
        for (const p of e.parts) if (typeof p !== 'string') expr(p);
        return;
      case 'field':
        expr(e.object);
        return;
      case 'index':
        expr(e.object);
        expr(e.index);
        return;
      case 'call':
      case 'host':
        for (const a of e.args) expr(a);
        return;
      case 'unary':
        expr(e.operand);
        return;
      case 'binary':
        expr(e.left);
        expr(e.right);
        return;
      case 'list':
        for (const item of e.items) expr(item);
        return;
      case 'object':
        for (const entry of e.entries) expr(entry.value);
        return;
      case 'literal':
        return;
    }
  };
  const test = (t: CaseTest) => {
    if (t.kind === 'range') {
      expr(t.from);
      expr(t.to);
    } else expr(t.value);
  };
  for (const s of stmts) {
    switch (s.kind) {
      case 'assign':
        expr(s.target);
        expr(s.value);
        break;
      case 'dim':
        if (!out.has(s.name)) out.set(s.name, s.name.toLowerCase());
        expr(s.value);
        break;
      case 'param':
        if (!out.has(s.name)) out.set(s.name, s.raw);
        break;
      case 'if':
        for (const b of s.branches) {
          expr(b.cond);
          collectNames(b.body, out);
        }
        if (s.otherwise) collectNames(s.otherwise, out);
        break;
      case 'for':
        expr(s.variable);
        expr(s.from);
        expr(s.to);
        expr(s.step);
        collectNames(s.body, out);
        break;
      case 'forEach':
        expr(s.variable);
        expr(s.list);
        collectNames(s.body, out);
        break;
      case 'do':
        expr(s.cond);
        collectNames(s.body, out);
        break;
      case 'select':
        expr(s.subject);
        for (const c of s.cases) {
          for (const t of c.tests) test(t);
          collectNames(c.body, out);
        }
        if (s.otherwise) collectNames(s.otherwise, out);
        break;
      case 'call':
      case 'host':
        for (const a of s.args) expr(a);
        break;
      case 'return':
        expr(s.value);
        break;
      case 'talk':
        expr(s.value);
        break;
      case 'print':
        for (const v of s.values) expr(v);
        break;
      case 'hear':
        expr(s.target);
        break;
      case 'wait':
        expr(s.seconds);
        break;
      default:
        break;
    }
  }
}

export class UnitCompiler {
  readonly code: Instr[] = [];
  private readonly locals = new Map<string, number>();
  private slotCount = 0;
  private readonly loops: LoopContext[] = [];
  readonly resultSlot: number;
  /** Statements the compile driver handles itself (PARAM, DESCRIPTION, SET SCHEDULE). */
  readonly declarations: Stmt[] = [];

  constructor(
    private readonly ctx: CompileContext,
    readonly kind: 'main' | 'sub' | 'function',
    private readonly decl: RoutineDecl | null,
  ) {
    if (decl) {
      for (const p of decl.params) this.locals.set(p, this.slotCount++);
      this.resultSlot = kind === 'function' ? this.slotCount++ : -1;
      this.collectDims(decl.body);
    } else {
      this.resultSlot = -1;
    }
  }

  get slots(): number {
    return this.kind === 'main' ? this.ctx.globals.size : this.slotCount;
  }

  private collectDims(stmts: Stmt[]): void {
    const visit = (list: Stmt[] | null) => {
      if (!list) return;
      for (const s of list) {
        if (s.kind === 'dim' && !this.locals.has(s.name)) this.locals.set(s.name, this.slotCount++);
        if (s.kind === 'if') {
          for (const b of s.branches) visit(b.body);
          visit(s.otherwise);
        } else if (s.kind === 'for' || s.kind === 'forEach' || s.kind === 'do') visit(s.body);
        else if (s.kind === 'select') {
          for (const c of s.cases) visit(c.body);
          visit(s.otherwise);
        }
      }
    };
    visit(stmts);
  }

  error(pos: Pos, message: string): void {
    this.ctx.errors.push({ line: pos.line, column: pos.column, message });
  }

  // ---- slots -------------------------------------------------------------------------------

  /** In the main program locals are the globals: its frame's slot array is the globals array. */
  private resolve(name: string): Ref {
    if (this.kind === 'main') {
      let slot = this.ctx.globals.get(name);
      if (slot === undefined) {
        slot = this.ctx.globals.size;
        this.ctx.globals.set(name, slot);
      }
      return { global: false, slot };
    }
    const local = this.locals.get(name);
    if (local !== undefined) return { global: false, slot: local };
    const global = this.ctx.globals.get(name);
    if (global !== undefined) return { global: true, slot: global };
    const slot = this.slotCount++;
    this.locals.set(name, slot);
    return { global: false, slot };
  }

  /** A hidden slot for loop bookkeeping or a hoisted result. Always local to the frame. */
  private hidden(label: string): number {
    if (this.kind === 'main') {
      const slot = this.ctx.globals.size;
      this.ctx.globals.set(`$${label}${slot}`, slot);
      return slot;
    }
    return this.slotCount++;
  }

  private emit(op: number, pos: Pos): Instr {
    const ins = new Instr(op, pos.line, pos.column);
    this.code.push(ins);
    return ins;
  }

  private isResultName(name: string): boolean {
    return this.kind === 'function' && this.decl !== null && name === this.decl.name;
  }

  // ---- statements ----------------------------------------------------------------------------

  block(stmts: Stmt[]): void {
    for (const s of stmts) this.statement(s);
  }

  finish(pos: Pos): void {
    this.emit(this.kind === 'main' ? OP.END : OP.RETURN, pos);
  }

  statement(s: Stmt): void {
    switch (s.kind) {
      case 'assign':
        this.assign(s.target, s.value, s);
        return;
      case 'dim':
        if (s.value) this.assign({ kind: 'var', name: s.name, line: s.line, column: s.column }, s.value, s);
        return;
      case 'if':
        this.ifStatement(s);
        return;
      case 'for':
        this.forStatement(s);
        return;
      case 'forEach':
        this.forEachStatement(s);
        return;
      case 'do':
        this.doStatement(s);
        return;
      case 'exit':
        this.exit(s);
        return;
      case 'select':
        this.selectStatement(s);
        return;
      case 'call':
        this.callStatement(s.name, s.args, s);
        return;
      case 'return':
        this.returnStatement(s);
        return;
      case 'end':
        this.emit(OP.END, s);
        return;
      // Operands compile first: any FUNCTION or host call inside them must run before this instruction.
      case 'talk': {
        const value = this.expr(s.value);
        this.emit(OP.TALK, s).expr = value;
        return;
      }
      case 'print': {
        const values = s.values.map((v) => this.expr(v));
        this.emit(OP.PRINT, s).args = values;
        return;
      }
      case 'hear': {
        const set = this.setter(s.target);
        const ins = this.emit(OP.HEAR, s);
        ins.set = set;
        const root = rootOf(s.target);
        ins.hear = { variable: root.raw ?? root.name, type: s.type, options: s.options };
        return;
      }
      case 'wait': {
        const seconds = this.expr(s.seconds);
        this.emit(OP.WAIT, s).expr = seconds;
        return;
      }
      case 'host': {
        this.checkLiteralArguments(s.host, s.args);
        const args = s.args.map((a) => this.expr(a));
        const ins = this.emit(OP.HOST, s);
        ins.host = s.host;
        ins.args = args;
        // The conversation is the other bot's from here: this script ends, as General Bots' does.
        if (s.host === 'transferConversation') this.emit(OP.END, s);
        return;
      }
      case 'schedule':
      case 'param':
      case 'description':
      case 'on':
      case 'webhook':
        if (this.kind !== 'main') {
          this.error(s, `${declarationName(s)} belongs in the main program, not inside a SUB or FUNCTION`);
          return;
        }
        this.declarations.push(s);
        return;
    }
  }

  private assign(target: Target, value: Expr, pos: Pos): void {
    if (target.kind === 'var') {
      if (CLOCK_NAMES.has(target.name))
        this.error(target, `${target.name} is a built-in function and cannot be assigned`);
      const fn = this.expr(value);
      const ref = this.isResultName(target.name)
        ? { global: false, slot: this.resultSlot }
        : this.resolve(target.name);
      const ins = this.emit(ref.global ? OP.ASSIGN_GLOBAL : OP.ASSIGN_LOCAL, pos);
      ins.slot = ref.slot;
      ins.expr = fn;
      return;
    }
    const set = this.setter(target);
    const fn = this.expr(value);
    const ins = this.emit(OP.SET, pos);
    ins.set = set;
    ins.expr = fn;
  }

  private ifStatement(s: Stmt & { kind: 'if' }): void {
    const ends: Instr[] = [];
    s.branches.forEach((branch, i) => {
      const cond = this.expr(branch.cond);
      const test = this.emit(OP.JUMP_FALSE, branch.pos);
      test.expr = cond;
      this.block(branch.body);
      if (i < s.branches.length - 1 || s.otherwise) ends.push(this.emit(OP.JUMP, branch.pos));
      test.jump = this.code.length;
    });
    if (s.otherwise) this.block(s.otherwise);
    for (const j of ends) j.jump = this.code.length;
  }

  private loopVariable(target: Target): Ref {
    if (target.kind !== 'var') {
      this.error(target, 'A FOR loop counts in a plain variable, not a field or list item');
      return { global: false, slot: this.hidden('bad') };
    }
    return this.resolve(target.name);
  }

  private forStatement(s: Stmt & { kind: 'for' }): void {
    const ref = this.loopVariable(s.variable);
    const from = this.expr(s.from);
    const to = this.expr(s.to);
    const step = s.step ? this.expr(s.step) : null;
    const init = this.emit(OP.FOR_INIT, s);
    init.slot = ref.slot;
    init.global = ref.global;
    init.expr = from;
    init.expr2 = to;
    init.expr3 = step;
    init.aux = this.hidden('forEnd');
    init.aux2 = this.hidden('forStep');
    const bodyStart = this.code.length;
    const loop: LoopContext = { kind: 'FOR', exits: [] };
    this.loops.push(loop);
    this.block(s.body);
    this.loops.pop();
    const next = this.emit(OP.FOR_NEXT, s);
    next.slot = ref.slot;
    next.global = ref.global;
    next.aux = init.aux;
    next.aux2 = init.aux2;
    next.jump = bodyStart;
    init.jump = this.code.length;
    for (const e of loop.exits) e.jump = this.code.length;
  }

  private forEachStatement(s: Stmt & { kind: 'forEach' }): void {
    const list = this.expr(s.list);
    const set = this.setter(s.variable);
    const init = this.emit(OP.EACH_INIT, s);
    init.expr = list;
    init.set = set;
    init.aux = this.hidden('eachList');
    init.aux2 = this.hidden('eachPos');
    const bodyStart = this.code.length;
    const loop: LoopContext = { kind: 'FOR', exits: [] };
    this.loops.push(loop);
    this.block(s.body);
    this.loops.pop();
    const next = this.emit(OP.EACH_NEXT, s);
    next.set = set;
    next.aux = init.aux;
    next.aux2 = init.aux2;
    next.jump = bodyStart;
    init.jump = this.code.length;
    for (const e of loop.exits) e.jump = this.code.length;
  }

  private doStatement(s: Stmt & { kind: 'do' }): void {
    const top = this.code.length;
    const loop: LoopContext = { kind: 'DO', exits: [] };
    if (s.test === 'pre' && s.cond) {
      const cond = this.expr(s.cond);
      const test = this.emit(s.until ? OP.JUMP_TRUE : OP.JUMP_FALSE, s.condPos);
      test.expr = cond;
      loop.exits.push(test);
    }
    this.loops.push(loop);
    this.block(s.body);
    this.loops.pop();
    if (s.test === 'post' && s.cond) {
      const cond = this.expr(s.cond);
      const back = this.emit(s.until ? OP.JUMP_FALSE : OP.JUMP_TRUE, s.condPos);
      back.expr = cond;
      back.jump = top;
    } else {
      this.emit(OP.JUMP, s).jump = top;
    }
    for (const e of loop.exits) e.jump = this.code.length;
  }

  private exit(s: Stmt & { kind: 'exit' }): void {
    if (s.what === 'SUB' || s.what === 'FUNCTION') {
      if (this.kind !== s.what.toLowerCase()) {
        this.error(s, `EXIT ${s.what} is only allowed inside a ${s.what}`);
        return;
      }
      this.emit(OP.RETURN, s);
      return;
    }
    const kind = s.what === 'FOR' ? 'FOR' : 'DO';
    for (let i = this.loops.length - 1; i >= 0; i--) {
      const loop = this.loops[i] as LoopContext;
      if (loop.kind === kind) {
        loop.exits.push(this.emit(OP.JUMP, s));
        return;
      }
    }
    this.error(s, `EXIT ${s.what} is not inside a ${kind === 'FOR' ? 'FOR loop' : 'DO or WHILE loop'}`);
  }

  private selectStatement(s: Stmt & { kind: 'select' }): void {
    const subject = this.expr(s.subject);
    const slot = this.hidden('select');
    const store = this.emit(OP.ASSIGN_LOCAL, s);
    store.slot = slot;
    store.expr = subject;
    const value: ExprFn = (_g, l) => l[slot] as Value;
    const ends: Instr[] = [];
    s.cases.forEach((c, i) => {
      const tests = c.tests.map((t) => this.caseTest(t, value));
      const cond: ExprFn =
        tests.length === 1
          ? (tests[0] as ExprFn)
          : (g, l) => {
              for (const t of tests) if (t(g, l)) return true;
              return false;
            };
      const jf = this.emit(OP.JUMP_FALSE, c.pos);
      jf.expr = cond;
      this.block(c.body);
      if (i < s.cases.length - 1 || s.otherwise) ends.push(this.emit(OP.JUMP, c.pos));
      jf.jump = this.code.length;
    });
    if (s.otherwise) this.block(s.otherwise);
    for (const j of ends) j.jump = this.code.length;
  }

  private caseTest(t: CaseTest, subject: ExprFn): ExprFn {
    if (t.kind === 'value') {
      const v = this.expr(t.value);
      return (g, l) => equals(subject(g, l), v(g, l));
    }
    if (t.kind === 'range') {
      const from = this.expr(t.from);
      const to = this.expr(t.to);
      return (g, l) => {
        const x = subject(g, l);
        return compare(x, from(g, l)) >= 0 && compare(x, to(g, l)) <= 0;
      };
    }
    const op = BINARY[t.op] as (a: Value, b: Value) => Value;
    const v = this.expr(t.value);
    return (g, l) => op(subject(g, l), v(g, l));
  }

  private callStatement(name: string, args: Expr[], pos: Pos): void {
    const routine = this.ctx.routines.get(name);
    if (!routine) {
      if (BUILTINS[name]) {
        this.error(
          pos,
          `${name} is a function that returns a value; use it in an expression, e.g. x = ${name}(...)`,
        );
      } else {
        const hint = closest(name, this.ctx.routines.keys());
        this.error(pos, `Unknown SUB ${name}${hint ? `; did you mean ${hint}?` : ''}`);
      }
      return;
    }
    this.emitCall(routine, args, pos, -1);
  }

  private emitCall(routine: RoutineInfo, args: Expr[], pos: Pos, resultSlot: number): void {
    const { decl } = routine;
    if (args.length !== decl.params.length) {
      this.error(
        pos,
        `${decl.name} expects ${decl.params.length} argument${decl.params.length === 1 ? '' : 's'} but got ${args.length}`,
      );
    }
    const fns = args.map((a) => this.expr(a));
    const ins = this.emit(OP.CALL, pos);
    ins.unit = routine.index;
    ins.args = fns;
    ins.slot = resultSlot;
  }

  private returnStatement(s: Stmt & { kind: 'return' }): void {
    if (this.kind === 'main') {
      // The value first: a host call or FUNCTION inside it must run before the END that reads it.
      const value = s.value ? this.expr(s.value) : null;
      const ins = this.emit(OP.END, s);
      if (value) ins.expr = value;
      return;
    }
    if (s.value) {
      if (this.kind === 'sub') {
        this.error(s, 'A SUB cannot return a value; make it a FUNCTION');
        return;
      }
      const fn = this.expr(s.value);
      const ins = this.emit(OP.ASSIGN_LOCAL, s);
      ins.slot = this.resultSlot;
      ins.expr = fn;
    }
    this.emit(OP.RETURN, s);
  }

  // ---- assignment targets --------------------------------------------------------------------

  setter(t: Target): SetFn {
    if (t.kind === 'var') {
      if (CLOCK_NAMES.has(t.name)) this.error(t, `${t.name} is a built-in function and cannot be assigned`);
      const ref = this.isResultName(t.name) ? { global: false, slot: this.resultSlot } : this.resolve(t.name);
      const s = ref.slot;
      return ref.global
        ? (g, _l, v) => {
            g[s] = v;
          }
        : (_g, l, v) => {
            l[s] = v;
          };
    }
    if (t.kind === 'field') {
      const obj = this.container(t.object, false);
      const name = t.name;
      return (g, l, v) => setField(obj(g, l), name, v);
    }
    const wantsList = !(t.index.kind === 'literal' && typeof t.index.value === 'string');
    const obj = this.container(t.object, wantsList);
    const index = this.expr(t.index);
    return (g, l, v) => setIndex(obj(g, l), index(g, l), v);
  }

  /** Reads the container an assignment writes into, creating an empty one where there is Nothing. */
  private container(e: Expr, wantsList: boolean): ExprFn {
    const fresh = (): Value => (wantsList ? [] : {});
    if (e.kind === 'var') {
      const read = this.expr(e);
      const write = this.setter(e);
      return (g, l) => {
        let c = read(g, l);
        if (c === null) {
          c = fresh();
          write(g, l, c);
        }
        return c;
      };
    }
    if (e.kind === 'field') {
      const parent = this.container(e.object, false);
      const name = e.name;
      return (g, l) => {
        const p = parent(g, l);
        let c = getField(p, name);
        if (c === null) {
          c = fresh();
          setField(p, name, c);
        }
        return c;
      };
    }
    return this.expr(e);
  }

  // ---- expressions ---------------------------------------------------------------------------

  expr(e: Expr): ExprFn {
    switch (e.kind) {
      case 'literal': {
        const v = e.value;
        return () => v;
      }
      case 'text':
        return this.text(e.parts);
      case 'var':
        return this.read(e);
      case 'field': {
        const obj = this.expr(e.object);
        const name = e.name;
        return (g, l) => getField(obj(g, l), name);
      }
      case 'index': {
        const obj = this.expr(e.object);
        const index = this.expr(e.index);
        return (g, l) => getIndex(obj(g, l), index(g, l));
      }
      case 'call':
        return this.call(e);
      case 'unary': {
        const operand = this.expr(e.operand);
        return e.op === '-' ? (g, l) => negate(operand(g, l)) : (g, l) => !truthy(operand(g, l));
      }
      case 'binary':
        return this.binary(e.op, this.expr(e.left), this.expr(e.right), e.right);
      case 'list': {
        const items = e.items.map((i) => this.expr(i));
        return (g, l) => {
          checkListSize(items.length);
          return items.map((f) => f(g, l));
        };
      }
      case 'object': {
        const entries = e.entries.map((x) => ({ key: x.key, value: this.expr(x.value) }));
        return (g, l) => {
          const o: ValueObject = {};
          for (const x of entries) setField(o, x.key, x.value(g, l));
          return o;
        };
      }
      case 'host':
        return this.hoistHost(e.host, e.args, e);
    }
  }

  private text(parts: (string | Expr)[]): ExprFn {
    const fns = parts.map((p) => (typeof p === 'string' ? p : this.expr(p)));
    return (g, l) => {
      let s = '';
      for (const f of fns) s += typeof f === 'string' ? f : toText(f(g, l));
      return checkString(s);
    };
  }

  private read(e: Expr & { kind: 'var' }): ExprFn {
    if (CLOCK_NAMES.has(e.name)) {
      const fn = (BUILTINS[e.name] as { fn: (args: Value[]) => Value }).fn;
      return () => fn([]);
    }
    const ref = this.isResultName(e.name) ? { global: false, slot: this.resultSlot } : this.resolve(e.name);
    const s = ref.slot;
    return ref.global ? (g) => g[s] as Value : (_g, l) => l[s] as Value;
  }

  private binary(op: string, left: ExprFn, right: ExprFn, rightAst: Expr): ExprFn {
    // Fast paths for the shapes tight loops use: "x + 1", "x - 1", "a + b", "a & b".
    if (rightAst.kind === 'literal' && typeof rightAst.value === 'number') {
      const c = rightAst.value;
      if (op === '+') {
        return (g, l) => {
          const a = left(g, l);
          return typeof a === 'number' ? checkFinite(a + c) : add(a, c);
        };
      }
      if (op === '-') {
        return (g, l) => {
          const a = left(g, l);
          return typeof a === 'number' ? checkFinite(a - c) : subtract(a, c);
        };
      }
    }
    switch (op) {
      case '+':
        return (g, l) => {
          const a = left(g, l);
          const b = right(g, l);
          return typeof a === 'number' && typeof b === 'number' ? checkFinite(a + b) : add(a, b);
        };
      case '&':
        return (g, l) => concat(left(g, l), right(g, l));
      case '<':
        return (g, l) => {
          const a = left(g, l);
          const b = right(g, l);
          return typeof a === 'number' && typeof b === 'number' ? a < b : compare(a, b) < 0;
        };
      case '>':
        return (g, l) => {
          const a = left(g, l);
          const b = right(g, l);
          return typeof a === 'number' && typeof b === 'number' ? a > b : compare(a, b) > 0;
        };
      case '=':
        return (g, l) => {
          const a = left(g, l);
          const b = right(g, l);
          return a === b || equals(a, b);
        };
    }
    const fn = BINARY[op] as (a: Value, b: Value) => Value;
    return (g, l) => fn(left(g, l), right(g, l));
  }

  private call(e: Expr & { kind: 'call' }): ExprFn {
    const routine = this.ctx.routines.get(e.name);
    if (routine) {
      if (routine.decl.kind === 'sub') {
        this.error(e, `${e.name} is a SUB and returns no value; declare it as a FUNCTION to use its result`);
        return () => null;
      }
      const slot = this.hidden('call');
      this.emitCall(routine, e.args, e, slot);
      return (_g, l) => l[slot] as Value;
    }
    const builtin = BUILTINS[e.name];
    if (!builtin) {
      const hint = closest(e.name, [...Object.keys(BUILTINS), ...this.ctx.routines.keys()]);
      this.error(e, `Unknown function ${e.name}${hint ? `; did you mean ${hint}?` : ''}`);
      return () => null;
    }
    if (e.args.length < builtin.min || e.args.length > builtin.max) {
      const expected =
        builtin.min === builtin.max
          ? `${builtin.min}`
          : builtin.max === Number.POSITIVE_INFINITY
            ? `at least ${builtin.min}`
            : `${builtin.min} to ${builtin.max}`;
      this.error(
        e,
        `${e.name} expects ${expected} argument${expected === '1' ? '' : 's'} but got ${e.args.length}`,
      );
      return () => null;
    }
    const args = e.args.map((a) => this.expr(a));
    const fn = builtin.fn;
    const name = e.name;
    const withName = (err: unknown): never => {
      if (err instanceof ScriptError && !err.message.includes(name)) err.message = `${name}: ${err.message}`;
      throw err;
    };
    if (args.length === 1) {
      const a0 = args[0] as ExprFn;
      return (g, l) => {
        try {
          return fn([a0(g, l)]);
        } catch (err) {
          return withName(err);
        }
      };
    }
    return (g, l) => {
      const values = args.map((a) => a(g, l));
      try {
        return fn(values);
      } catch (err) {
        return withName(err);
      }
    };
  }

  /**
   * A table name or filter written as literal text is checked now, so a script that tries SQL
   * in one does not compile; computed ones are checked by the host when they run.
   */
  private checkLiteralArguments(host: HostCallKind, args: Expr[]): void {
    if (!host.startsWith('table')) return;
    const [table, second] = args;
    if (table?.kind === 'literal' && typeof table.value === 'string') {
      const checked = tableName(table.value);
      if (!checked.ok) this.error(table, checked.message);
    }
    const filter =
      host === 'tableFind' || host === 'tableUpdate' || host === 'tableDelete' ? second : undefined;
    if (filter?.kind === 'literal' && typeof filter.value === 'string') {
      const parsed = parseTableFilter(filter.value);
      if (!parsed.ok) this.error(filter, parsed.message);
    }
  }

  private hoistHost(host: HostCallKind, args: Expr[], pos: Pos): ExprFn {
    this.checkLiteralArguments(host, args);
    const fns = args.map((a) => this.expr(a));
    const slot = this.hidden('host');
    const ins = this.emit(OP.HOST, pos);
    ins.host = host;
    ins.args = fns;
    ins.slot = slot;
    return (_g, l) => l[slot] as Value;
  }
}

function checkFinite(n: number): number {
  if (n - n !== 0) throw new ScriptError('NUMBER_OVERFLOW', 'The number is too large');
  return n;
}

function rootOf(t: Expr): Expr & { kind: 'var' } {
  let e = t;
  while (e.kind === 'field' || e.kind === 'index') e = e.object;
  return e as Expr & { kind: 'var' };
}

function declarationName(s: Stmt): string {
  if (s.kind === 'on') return 'ON';
  if (s.kind === 'webhook') return 'WEBHOOK';
  return s.kind === 'schedule' ? 'SET SCHEDULE' : s.kind === 'param' ? 'PARAM' : 'DESCRIPTION';
}

export type { Slots };
