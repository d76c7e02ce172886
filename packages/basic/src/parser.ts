// Recursive-descent parser for the General Bots BASIC dialect. It recovers at the end of each line,
// so one compile reports every broken statement, not just the first.
import type {
  CaseTest,
  Expr,
  HearType,
  HostStmtKind,
  Pos,
  ProgramAst,
  RoutineDecl,
  ServiceHostKind,
  Stmt,
  TableEvent,
  TableHostKind,
  Target,
} from './ast.js';
import {
  commandRunnerRefusal,
  type KeywordOptions,
  SET_USER_REFUSED,
  unavailableKeyword,
} from './keyword-status.js';
import { type LexError, lex, type StringPart, type Token } from './lexer.js';
import { tableName } from './table-filter.js';
import type { Value } from './values.js';

export const HEAR_TYPES: readonly HearType[] = [
  'STRING',
  'NUMBER',
  'INTEGER',
  'BOOLEAN',
  'EMAIL',
  'DATE',
  'HOUR',
  'MONEY',
  'MOBILE',
  'ZIPCODE',
];

export const PARAM_TYPES: readonly string[] = [...HEAR_TYPES, 'OBJECT', 'LIST', 'ARRAY'];

/** Words that can never name a variable. Other keywords (TALK, PRINT, ...) only act at statement start. */
const RESERVED = new Set([
  'IF',
  'THEN',
  'ELSE',
  'ELSEIF',
  'END',
  'ENDIF',
  'FOR',
  'TO',
  'STEP',
  'NEXT',
  'EACH',
  'IN',
  'DO',
  'LOOP',
  'WHILE',
  'WEND',
  'UNTIL',
  'EXIT',
  'SELECT',
  'CASE',
  'SUB',
  'FUNCTION',
  'CALL',
  'RETURN',
  'AND',
  'OR',
  'NOT',
  'MOD',
  'TRUE',
  'FALSE',
  'NOTHING',
  'NULL',
  'GET',
  'FIND',
  'LLM',
  'LET',
  'DIM',
  'AS',
  'IS',
]);

/** Words that start a statement but may still name a variable ("description = 1"). */
const STATEMENT_KEYWORDS = new Set([
  'TALK',
  'PRINT',
  'HEAR',
  'WAIT',
  'SET',
  'USE',
  'CLEAR',
  'SEND',
  'POST',
  'PARAM',
  'DESCRIPTION',
  'BEGIN',
  'ADD',
  'SWITCH',
  'REMEMBER',
  'SAVE',
  'INSERT',
  'UPDATE',
  'DELETE',
  'MERGE',
]);

/** A WEBHOOK's name, the last segment of its public URL. */
export const WEBHOOK_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

/** In-memory data verbs that General Bots writes without parentheses (`rows = FILTER data, "a>1"`). */
const DATA_VERBS = new Set(['FILTER', 'AGGREGATE', 'PIVOT', 'MAP', 'FILL', 'FIRST', 'LAST']);

/** Table verbs usable as values: `n = DELETE "leads", "age<18"`. */
/** The one-word bot file keywords: how many values each takes, and what to say otherwise. */
const FILE_VERBS: Record<string, { host: HostStmtKind; count: number; usage: string }> = {
  READ: { host: 'readFile', count: 1, usage: 'READ needs: "path"' },
  WRITE: { host: 'writeFile', count: 2, usage: 'WRITE needs: "path", data' },
  LIST: { host: 'listFiles', count: 1, usage: 'LIST needs: "folder" ("" for every file)' },
  COPY: { host: 'copyFile', count: 2, usage: 'COPY needs: "from", "to"' },
  MOVE: { host: 'moveFile', count: 2, usage: 'MOVE needs: "from", "to"' },
  UPLOAD: { host: 'uploadFile', count: 2, usage: 'UPLOAD needs: "path", url' },
  DOWNLOAD: { host: 'downloadFile', count: 2, usage: 'DOWNLOAD needs: url, "path"' },
  COMPRESS: {
    host: 'compressFiles',
    count: 2,
    usage: 'COMPRESS needs: files (a list of paths, or a folder), "archive.zip"',
  },
  EXTRACT: { host: 'extractFiles', count: 2, usage: 'EXTRACT needs: "archive.zip", "folder"' },
};

const TABLE_VERBS: Record<string, { host: TableHostKind; count: number; usage: string }> = {
  INSERT: { host: 'tableInsert', count: 2, usage: 'INSERT needs: "table", row' },
  UPDATE: { host: 'tableUpdate', count: 3, usage: 'UPDATE needs: "table", "filter", changes' },
  DELETE: { host: 'tableDelete', count: 2, usage: 'DELETE needs: "table", "filter"' },
  MERGE: { host: 'tableMerge', count: 3, usage: 'MERGE needs: "table", rows, "key column"' },
};

class ParseError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
    /** False for "X is missing its END X": the current line belongs to an outer block. */
    readonly skipLine = true,
  ) {
    super(message);
  }
}

type Terminator = (p: Parser) => boolean;

export interface ParseResult {
  ast: ProgramAst;
  errors: LexError[];
}

export function parse(source: string, options: KeywordOptions = {}): ParseResult {
  const { tokens, errors } = lex(source);
  const parser = new Parser(tokens, errors, options);
  const ast = parser.program();
  errors.sort((a, b) => a.line - b.line || a.column - b.column);
  return { ast, errors };
}

function describe(t: Token): string {
  if (t.kind === 'newline') return 'the end of the line';
  if (t.kind === 'eof') return 'the end of the script';
  return `"${t.text.length > 20 ? t.text.slice(0, 20) + '…' : t.text}"`;
}

class Parser {
  private i = 0;

  constructor(
    private readonly tokens: Token[],
    readonly errors: LexError[],
    private readonly options: KeywordOptions = {},
  ) {}

  // ---- token helpers -------------------------------------------------------------------------

  get tok(): Token {
    return this.tokens[this.i] as Token;
  }

  peek(offset = 1): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)] as Token;
  }

  isWord(word: string, t: Token = this.tok): boolean {
    return t.kind === 'ident' && t.text === word;
  }

  isOp(op: string, t: Token = this.tok): boolean {
    return t.kind === 'op' && t.text === op;
  }

  next(): Token {
    const t = this.tok;
    if (t.kind !== 'eof') this.i++;
    return t;
  }

  fail(message: string, t: Token = this.tok): never {
    throw new ParseError(message, t.line, t.column);
  }

  expectWord(word: string, context: string): Token {
    if (!this.isWord(word)) this.fail(`Expected ${word} ${context}, found ${describe(this.tok)}`);
    return this.next();
  }

  expectOp(op: string, context: string): Token {
    if (!this.isOp(op)) this.fail(`Expected "${op}" ${context}, found ${describe(this.tok)}`);
    return this.next();
  }

  atStatementEnd(): boolean {
    const t = this.tok;
    return t.kind === 'newline' || t.kind === 'eof' || this.isOp(':') || this.isWord('ELSE');
  }

  skipNewlines(): void {
    while (this.tok.kind === 'newline' || this.isOp(':')) this.next();
  }

  skipLine(): void {
    while (this.tok.kind !== 'newline' && this.tok.kind !== 'eof') this.next();
  }

  name(context: string): string {
    const t = this.tok;
    if (t.kind !== 'ident') this.fail(`Expected a name ${context}, found ${describe(t)}`);
    if (RESERVED.has(t.text)) this.fail(`${t.text} is a keyword and cannot be used as a name`);
    this.next();
    return t.text;
  }

  // ---- program structure ---------------------------------------------------------------------

  program(): ProgramAst {
    const main: Stmt[] = [];
    const routines: RoutineDecl[] = [];
    for (;;) {
      this.skipNewlines();
      if (this.tok.kind === 'eof') break;
      if (this.isWord('SUB') || this.isWord('FUNCTION')) {
        const r = this.guard(() => this.routine());
        if (r) routines.push(r);
        continue;
      }
      this.statementInto(main, () => false);
    }
    return { main, routines };
  }

  /** Runs a parse step; on error records it and skips the rest of the line. */
  guard<T>(step: () => T): T | null {
    const start = this.i;
    try {
      return step();
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      this.errors.push({ line: e.line, column: e.column, message: e.message });
      if (!e.skipLine) return null;
      this.skipLine();
      if (this.i === start) this.next();
      return null;
    }
  }

  statementInto(out: Stmt[], stop: Terminator): void {
    const s = this.guard(() => {
      const stmt = this.statement(stop);
      if (!this.atStatementEnd() || this.isWord('ELSE')) {
        this.fail(`Unexpected ${describe(this.tok)} after the statement`);
      }
      return stmt;
    });
    if (s) out.push(s);
  }

  block(stop: Terminator, opener: Pos, missing: string): Stmt[] {
    const body: Stmt[] = [];
    for (;;) {
      this.skipNewlines();
      if (stop(this)) return body;
      // The end of the script, or a SUB / FUNCTION boundary, means this block was never closed.
      if (
        this.tok.kind === 'eof' ||
        this.isWord('SUB') ||
        this.isWord('FUNCTION') ||
        (this.isWord('END') && (this.isWord('SUB', this.peek()) || this.isWord('FUNCTION', this.peek())))
      ) {
        throw new ParseError(missing, opener.line, opener.column, false);
      }
      this.statementInto(body, stop);
    }
  }

  routine(): RoutineDecl {
    const start = this.next();
    const kind = start.text === 'SUB' ? 'sub' : 'function';
    const word = start.text;
    const name = this.name(`after ${word}`);
    const params: string[] = [];
    if (this.isOp('(')) {
      this.next();
      if (!this.isOp(')')) {
        for (;;) {
          const param = this.name(`for a parameter of ${name}`);
          if (params.includes(param)) this.fail(`Parameter ${param} appears twice in ${name}`);
          params.push(param);
          if (this.isWord('AS')) {
            this.next();
            this.name('after AS');
          }
          if (!this.isOp(',')) break;
          this.next();
        }
      }
      this.expectOp(')', `to close the parameters of ${name}`);
    }
    if (this.isWord('AS')) {
      this.next();
      this.name('after AS');
    }
    const body = this.block(
      (p) => p.isWord('END') && p.isWord(word, p.peek()),
      start,
      `${word} ${name} is missing its END ${word}`,
    );
    this.next();
    this.next();
    return { kind, name, params, body, line: start.line, column: start.column };
  }

  // ---- statements ----------------------------------------------------------------------------

  statement(stop: Terminator): Stmt {
    const t = this.tok;
    const pos = { line: t.line, column: t.column };
    if (t.kind !== 'ident') this.fail(`A statement cannot start with ${describe(t)}`);
    const next = this.peek();
    const isAssignment = this.isOp('=', next) || this.isOp('.', next) || this.isOp('[', next);
    if (!isAssignment) {
      const refused = unavailableKeyword(this.wordsAhead(), this.startsValue(next));
      if (refused) this.fail(refused);
    }
    // Statement keywords followed by "=" are plain assignments ("description = ...").
    const assigns = STATEMENT_KEYWORDS.has(t.text)
      ? this.isOp('=', next)
      : this.isOp('=', next) || this.isOp('.', next) || this.isOp('[', next);
    if (!RESERVED.has(t.text) && assigns) {
      return this.assignment(pos);
    }
    const service = this.serviceKeyword(false);
    if (service) return { kind: 'host', ...service, ...pos };
    switch (t.text) {
      case 'LET':
        this.next();
        return this.assignment(pos);
      case 'DIM':
        return this.dim(pos);
      case 'IF':
        return this.ifStatement(pos, stop);
      case 'FOR':
        return this.forStatement(pos);
      case 'DO':
        return this.doStatement(pos);
      case 'WHILE':
        return this.whileStatement(pos);
      case 'SELECT':
        return this.selectStatement(pos);
      case 'SWITCH':
        return this.selectStatement(pos, 'SWITCH');
      case 'BEGIN':
        return this.beginBlock(pos);
      case 'ADD': {
        this.next();
        if (this.isWord('BOT')) return this.addBotStatement(pos);
        this.expectWord('SUGGESTION', 'after ADD');
        const usage = 'ADD SUGGESTION needs: "key" AS "text"';
        if (this.atStatementEnd()) this.fail(usage);
        const key = this.expr();
        let text = key;
        if (this.isWord('AS')) {
          this.next();
          if (this.atStatementEnd()) this.fail(usage);
          text = this.expr();
        }
        return { kind: 'host', host: 'addSuggestion', args: [key, text], ...pos };
      }
      case 'REMEMBER': {
        this.next();
        const usage = 'REMEMBER needs: "key", value and optionally a duration such as "30 days"';
        const stmt = this.hostStmt('remember', 2, pos, usage);
        if (this.isOp(',') && stmt.kind === 'host') {
          this.next();
          if (this.atStatementEnd()) this.fail(usage);
          stmt.args.push(this.expr());
        }
        return stmt;
      }
      case 'SAVE':
        return this.saveStatement(pos);
      case 'ON':
        if (this.startsValue(next)) return this.onStatement(pos);
        break;
      case 'DELEGATE':
      case 'BROADCAST':
        if (this.startsValue(next)) return { kind: 'host', ...this.agentCall(), ...pos };
        break;
      case 'TRANSFER':
        if (this.isWord('CONVERSATION', next)) {
          this.next();
          this.next();
          this.expectWord('TO', 'after TRANSFER CONVERSATION');
          if (this.atStatementEnd()) this.fail('TRANSFER CONVERSATION TO needs the name of a bot');
          return { kind: 'host', host: 'transferConversation', args: [this.expr()], ...pos };
        }
        break;
      case 'WEBHOOK':
        if (this.startsValue(next)) return this.webhookStatement(pos);
        break;
      case 'INSERT':
      case 'UPDATE':
      case 'DELETE':
      case 'MERGE': {
        const verb = TABLE_VERBS[t.text] as (typeof TABLE_VERBS)[string];
        this.next();
        return this.hostStmt(verb.host, verb.count, pos, verb.usage);
      }
      case 'EXIT': {
        this.next();
        const what = this.tok.text;
        if (!['FOR', 'DO', 'WHILE', 'SUB', 'FUNCTION'].includes(what)) {
          this.fail('Expected FOR, DO, WHILE, SUB or FUNCTION after EXIT');
        }
        this.next();
        return { kind: 'exit', what: what as 'FOR', ...pos };
      }
      case 'CALL': {
        this.next();
        const name = this.name('after CALL');
        return { kind: 'call', name, args: this.callArgs(), ...pos };
      }
      case 'RETURN': {
        this.next();
        return { kind: 'return', value: this.atStatementEnd() ? null : this.expr(), ...pos };
      }
      case 'END': {
        const what = next.kind === 'ident' ? next.text : '';
        if (['IF', 'SUB', 'FUNCTION', 'SELECT', 'WHILE', 'SWITCH', 'TALK'].includes(what)) {
          this.fail(
            `END ${what} without a matching ${what === 'SELECT' ? 'SELECT CASE' : what === 'TALK' ? 'BEGIN TALK' : what}`,
          );
        }
        this.next();
        return { kind: 'end', ...pos };
      }
      case 'TALK':
        this.next();
        return { kind: 'talk', value: this.joined(), ...pos };
      case 'PRINT':
        this.next();
        return { kind: 'print', values: this.atStatementEnd() ? [] : this.exprList(), ...pos };
      case 'HEAR':
        return this.hear(pos);
      case 'WAIT':
        this.next();
        return { kind: 'wait', seconds: this.expr(), ...pos };
      case 'SET':
        return this.setStatement(pos);
      case 'USE': {
        this.next();
        if (this.isWord('KB')) {
          this.next();
          return this.hostStmt('useKb', 1, pos);
        }
        if (this.isWord('TOOL')) {
          this.next();
          return this.hostStmt('useTool', 1, pos);
        }
        if (this.isWord('MODEL')) {
          this.next();
          return this.hostStmt('useModel', 1, pos, 'USE MODEL needs the name of a configured model');
        }
        if (this.isWord('WEBSITE')) {
          this.next();
          return this.hostStmt('useWebsite', 1, pos, 'USE WEBSITE needs the address of a site');
        }
        if (this.isWord('CONNECTION')) {
          this.next();
          return this.hostStmt(
            'useConnection',
            1,
            pos,
            'USE CONNECTION needs the id of an integration connection',
          );
        }
        return this.fail('Expected KB, TOOL, MODEL or CONNECTION after USE');
      }
      case 'CLEAR': {
        this.next();
        if (this.isWord('KB')) {
          this.next();
          return this.hostStmt('clearKb', this.atStatementEnd() ? 0 : 1, pos);
        }
        if (this.isWord('TOOLS') || this.isWord('TOOL')) {
          this.next();
          return { kind: 'host', host: 'clearTools', args: [], ...pos };
        }
        if (this.isWord('SUGGESTIONS')) {
          this.next();
          return { kind: 'host', host: 'clearSuggestions', args: [], ...pos };
        }
        return this.fail('Expected KB, TOOLS or SUGGESTIONS after CLEAR');
      }
      case 'SEND':
        this.next();
        this.expectWord('MAIL', 'after SEND');
        return this.sendMail(pos);
      case 'POST':
        this.next();
        return this.hostStmt('httpPost', 2, pos, 'POST needs: url, data');
      case 'PARAM':
        return this.param(pos);
      case 'DESCRIPTION': {
        this.next();
        return { kind: 'description', text: this.literalText('after DESCRIPTION'), ...pos };
      }
      case 'SUB':
      case 'FUNCTION':
        return this.fail(`${t.text} must be declared at the top level, not inside another block`);
      case 'NEXT':
        return this.fail('NEXT without a matching FOR');
      case 'LOOP':
        return this.fail('LOOP without a matching DO');
      case 'WEND':
        return this.fail('WEND without a matching WHILE');
      case 'ELSE':
      case 'ELSEIF':
        return this.fail(`${t.text} without a matching IF ... THEN on its own line`);
      case 'ENDIF':
        return this.fail('END IF without a matching IF');
      case 'CASE':
        return this.fail('CASE outside of SELECT CASE');
    }
    if (RESERVED.has(t.text)) this.fail(`A statement cannot start with ${t.text}`);
    // A call of a SUB: "Greet(name)", "Greet name, 2" or just "Greet".
    this.next();
    return { kind: 'call', name: t.text, args: this.callArgs(), ...pos };
  }

  callArgs(): Expr[] {
    if (this.isOp('(')) {
      this.next();
      const args = this.isOp(')') ? [] : this.exprList();
      this.expectOp(')', 'to close the arguments');
      return args;
    }
    return this.atStatementEnd() ? [] : this.exprList();
  }

  exprList(): Expr[] {
    const list = [this.expr()];
    while (this.isOp(',') || this.isOp(';')) {
      this.next();
      list.push(this.expr());
    }
    return list;
  }

  /** TALK a, b joins its parts with a space. */
  joined(): Expr {
    const parts = this.exprList();
    if (parts.length === 1) return parts[0] as Expr;
    const first = parts[0] as Expr;
    const pieces: (string | Expr)[] = [];
    parts.forEach((p, i) => {
      if (i > 0) pieces.push(' ');
      pieces.push(p);
    });
    return { kind: 'text', parts: pieces, line: first.line, column: first.column };
  }

  /** SEND MAIL to, subject, body [, attachments]: a bot file's path, or a list of them. */
  sendMail(pos: Pos): Stmt {
    const usage = 'SEND MAIL needs: to, subject, body and optionally the files to attach';
    const stmt = this.hostStmt('sendMail', 3, pos, usage);
    if (this.isOp(',') && stmt.kind === 'host') {
      this.next();
      if (this.atStatementEnd()) this.fail(usage);
      stmt.args.push(this.expr());
    }
    return stmt;
  }

  hostStmt(host: HostStmtKind, count: number, pos: Pos, usage?: string): Stmt {
    const args: Expr[] = [];
    for (let n = 0; n < count; n++) {
      if (n > 0) {
        if (!this.isOp(',')) this.fail(usage ?? `Expected "," and another value`);
        this.next();
      }
      if (this.atStatementEnd()) this.fail(usage ?? 'Expected a value');
      args.push(this.expr());
    }
    return { kind: 'host', host, args, ...pos };
  }

  assignment(pos: Pos): Stmt {
    const target = this.target('to assign to');
    this.expectOp('=', `after ${this.targetName(target)} in an assignment`);
    let value: Expr;
    if (this.isWord('POST')) {
      const p = this.next();
      const url = this.expr();
      this.expectOp(',', 'between the url and the data of POST');
      value = { kind: 'host', host: 'httpPost', args: [url, this.expr()], line: p.line, column: p.column };
    } else {
      value = this.expr();
    }
    return { kind: 'assign', target, value, ...pos };
  }

  targetName(t: Target): string {
    return t.kind === 'var' ? t.name : 'the target';
  }

  target(context: string): Target {
    const t = this.tok;
    let target: Target = {
      kind: 'var',
      name: this.name(context),
      raw: t.raw,
      line: t.line,
      column: t.column,
    };
    for (;;) {
      if (this.isOp('.')) {
        const dot = this.next();
        const field = this.tok;
        if (field.kind !== 'ident') this.fail('Expected a field name after "."');
        this.next();
        target = {
          kind: 'field',
          object: target,
          name: this.fieldName(field),
          line: dot.line,
          column: dot.column,
        };
      } else if (this.isOp('[')) {
        const open = this.next();
        const index = this.expr();
        this.expectOp(']', 'to close the list position');
        target = { kind: 'index', object: target, index, line: open.line, column: open.column };
      } else {
        return target;
      }
    }
  }

  /** Field names keep the case the script wrote them in, since JSON keys are case-sensitive. */
  fieldName(t: Token): string {
    return t.raw ?? t.text;
  }

  dim(pos: Pos): Stmt {
    this.next();
    const name = this.name('after DIM');
    if (this.isWord('AS')) {
      this.next();
      this.name('after AS');
    }
    let value: Expr | null = null;
    if (this.isOp('=')) {
      this.next();
      value = this.expr();
    }
    return { kind: 'dim', name, value, ...pos };
  }

  ifStatement(pos: Pos, stop: Terminator): Stmt {
    this.next();
    const cond = this.expr();
    this.expectWord('THEN', 'after the IF condition');
    if (this.tok.kind !== 'newline' && this.tok.kind !== 'eof') {
      return this.singleLineIf(pos, cond, stop);
    }
    const branches: { cond: Expr; body: Stmt[]; pos: Pos }[] = [];
    let otherwise: Stmt[] | null = null;
    const endsBranch: Terminator = (p) =>
      p.isWord('ELSEIF') ||
      p.isWord('ELSE') ||
      p.isWord('ENDIF') ||
      (p.isWord('END') && p.isWord('IF', p.peek()));
    const missing = 'IF is missing its END IF';
    branches.push({ cond, body: this.block(endsBranch, pos, missing), pos });
    for (;;) {
      if (this.isWord('ELSEIF') || (this.isWord('ELSE') && this.isWord('IF', this.peek()))) {
        const at = this.next();
        if (at.text === 'ELSE') this.next();
        const c = this.expr();
        this.expectWord('THEN', 'after the ELSEIF condition');
        branches.push({
          cond: c,
          body: this.block(endsBranch, pos, missing),
          pos: { line: at.line, column: at.column },
        });
      } else if (this.isWord('ELSE')) {
        if (otherwise) this.fail('IF has two ELSE parts');
        this.next();
        otherwise = this.block(endsBranch, pos, missing);
      } else {
        if (this.isWord('ENDIF')) this.next();
        else {
          this.next();
          this.next();
        }
        return { kind: 'if', branches, otherwise, ...pos };
      }
    }
  }

  singleLineIf(pos: Pos, cond: Expr, stop: Terminator): Stmt {
    const body = this.inlineStatements(stop);
    let otherwise: Stmt[] | null = null;
    if (this.isWord('ELSE')) {
      this.next();
      otherwise = this.inlineStatements(stop);
    }
    // "IF x THEN y = 1 END IF" is tolerated.
    if (this.isWord('END') && this.isWord('IF', this.peek())) {
      this.next();
      this.next();
    }
    return { kind: 'if', branches: [{ cond, body, pos }], otherwise, ...pos };
  }

  inlineStatements(stop: Terminator): Stmt[] {
    const out: Stmt[] = [];
    for (;;) {
      if (this.tok.kind === 'newline' || this.tok.kind === 'eof' || this.isWord('ELSE')) return out;
      if (this.isWord('END') && this.isWord('IF', this.peek())) return out;
      out.push(this.statement(stop));
      if (this.isOp(':')) this.next();
      else if (!this.atStatementEnd() && !(this.isWord('END') && this.isWord('IF', this.peek()))) {
        this.fail(`Unexpected ${describe(this.tok)} after the statement`);
      }
    }
  }

  forStatement(pos: Pos): Stmt {
    this.next();
    if (this.isWord('EACH')) {
      this.next();
      const variable = this.target('after FOR EACH');
      this.expectWord('IN', 'after the FOR EACH variable');
      const list = this.expr();
      const body = this.loopBody(pos, variable);
      return { kind: 'forEach', variable, list, body, ...pos };
    }
    const vt = this.tok;
    const variable: Target = {
      kind: 'var',
      name: this.name('after FOR'),
      raw: vt.raw,
      line: vt.line,
      column: vt.column,
    };
    this.expectOp('=', 'after the FOR variable');
    const from = this.expr();
    this.expectWord('TO', 'in FOR (FOR i = 1 TO 10)');
    const to = this.expr();
    let step: Expr | null = null;
    if (this.isWord('STEP')) {
      this.next();
      step = this.expr();
    }
    const body = this.loopBody(pos, variable);
    return { kind: 'for', variable, from, to, step, body, ...pos };
  }

  loopBody(pos: Pos, variable: Target): Stmt[] {
    const body = this.block((p) => p.isWord('NEXT'), pos, 'FOR is missing its NEXT');
    this.next();
    if (this.tok.kind === 'ident' && !this.isWord('ELSE')) {
      const name = this.tok;
      this.next();
      if (variable.kind === 'var' && name.text !== variable.name) {
        throw new ParseError(
          `NEXT ${name.text} does not match FOR ${variable.name} on line ${pos.line}`,
          name.line,
          name.column,
        );
      }
    }
    return body;
  }

  doStatement(pos: Pos): Stmt {
    this.next();
    let test: 'pre' | 'post' | 'none' = 'none';
    let until = false;
    let cond: Expr | null = null;
    let condPos: Pos = pos;
    if (this.isWord('WHILE') || this.isWord('UNTIL')) {
      test = 'pre';
      until = this.next().text === 'UNTIL';
      condPos = { line: this.tok.line, column: this.tok.column };
      cond = this.expr();
    }
    const body = this.block((p) => p.isWord('LOOP'), pos, 'DO is missing its LOOP');
    this.next();
    if (this.isWord('WHILE') || this.isWord('UNTIL')) {
      if (test === 'pre') this.fail('DO has a condition at both ends; keep only one');
      test = 'post';
      until = this.next().text === 'UNTIL';
      condPos = { line: this.tok.line, column: this.tok.column };
      cond = this.expr();
    }
    return { kind: 'do', test, until, cond, condPos, body, ...pos };
  }

  whileStatement(pos: Pos): Stmt {
    this.next();
    const condPos = { line: this.tok.line, column: this.tok.column };
    const cond = this.expr();
    const body = this.block(
      (p) => p.isWord('WEND') || (p.isWord('END') && p.isWord('WHILE', p.peek())),
      pos,
      'WHILE is missing its WEND',
    );
    if (this.next().text === 'END') this.next();
    return { kind: 'do', test: 'pre', until: false, cond, condPos, body, ...pos };
  }

  /** SELECT CASE x ... END SELECT, or General Bots' SWITCH x ... END SWITCH (the same cases). */
  selectStatement(pos: Pos, opener: 'SELECT' | 'SWITCH' = 'SELECT'): Stmt {
    this.next();
    if (opener === 'SELECT') this.expectWord('CASE', 'after SELECT');
    const subject = this.expr();
    const cases: { tests: CaseTest[]; body: Stmt[]; pos: Pos }[] = [];
    let otherwise: Stmt[] | null = null;
    const title = opener === 'SELECT' ? 'SELECT CASE' : 'SWITCH';
    const missing = `${title} is missing its END ${opener}`;
    const endsCase: Terminator = (p) => p.isWord('CASE') || (p.isWord('END') && p.isWord(opener, p.peek()));
    this.skipNewlines();
    for (;;) {
      if (this.tok.kind === 'eof') throw new ParseError(missing, pos.line, pos.column, false);
      if (this.isWord('END') && this.isWord(opener, this.peek())) {
        this.next();
        this.next();
        return { kind: 'select', subject, cases, otherwise, ...pos };
      }
      if (!this.isWord('CASE')) this.fail(`Expected CASE or END ${opener} inside ${title}`);
      const at = this.next();
      if (this.isWord('ELSE')) {
        if (otherwise) this.fail(`${title} has two CASE ELSE parts`);
        this.next();
        otherwise = this.block(endsCase, pos, missing);
        continue;
      }
      if (otherwise) this.fail('CASE ELSE must be the last CASE');
      if (this.atStatementEnd()) this.fail('Expected a value after CASE');
      const tests: CaseTest[] = [];
      for (;;) {
        if (this.isWord('IS')) {
          this.next();
          const op = this.tok.text;
          if (!['=', '<>', '<', '>', '<=', '>='].includes(op) || this.tok.kind !== 'op') {
            this.fail('Expected a comparison (=, <>, <, >, <=, >=) after CASE IS');
          }
          this.next();
          tests.push({ kind: 'is', op, value: this.expr() });
        } else {
          const value = this.expr();
          if (this.isWord('TO')) {
            this.next();
            tests.push({ kind: 'range', from: value, to: this.expr() });
          } else {
            tests.push({ kind: 'value', value });
          }
        }
        if (!this.isOp(',')) break;
        this.next();
      }
      cases.push({
        tests,
        body: this.block(endsCase, pos, missing),
        pos: { line: at.line, column: at.column },
      });
    }
  }

  hear(pos: Pos): Stmt {
    this.next();
    const target = this.target('after HEAR');
    let type: HearType = 'STRING';
    let options: string[] | null = null;
    if (this.isWord('AS')) {
      this.next();
      if (this.tok.kind === 'string') {
        options = this.optionList('HEAR');
      } else {
        const t = this.tok;
        if (!HEAR_TYPES.includes(t.text as HearType)) {
          this.fail(
            `Unknown HEAR type ${describe(t)}; use one of ${HEAR_TYPES.join(', ')} or a list of options`,
          );
        }
        this.next();
        type = t.text as HearType;
      }
    }
    return { kind: 'hear', target, type, options, ...pos };
  }

  optionList(what: string): string[] {
    const options: string[] = [];
    for (;;) {
      options.push(this.literalText(`in the options of ${what}`));
      if (!this.isOp(',')) return options;
      this.next();
    }
  }

  literalText(context: string): string {
    const t = this.tok;
    if (t.kind !== 'string') this.fail(`Expected text in quotes ${context}, found ${describe(t)}`);
    const parts = t.parts as StringPart[];
    if (parts.some((p) => p.kind === 'expr')) this.fail(`Text ${context} cannot contain \${...}`);
    this.next();
    return parts.map((p) => (p.kind === 'text' ? p.text : '')).join('');
  }

  setStatement(pos: Pos): Stmt {
    this.next();
    if (this.isWord('USER') && this.isWord('FACT', this.peek())) {
      this.next();
      this.next();
      return this.hostStmt('setUserFact', 2, pos, 'SET USER FACT needs: "key", value');
    }
    if (this.isWord('USER') && !this.isWord('MEMORY', this.peek())) this.fail(SET_USER_REFUSED);
    if (this.isWord('BOT') || this.isWord('USER')) {
      const who = this.next().text;
      this.expectWord('MEMORY', `after SET ${who}`);
      return this.hostStmt(
        who === 'BOT' ? 'setBotMemory' : 'setUserMemory',
        2,
        pos,
        `SET ${who} MEMORY needs: key, value`,
      );
    }
    if (this.isWord('CONTEXT')) {
      this.next();
      return this.hostStmt('setContext', 1, pos);
    }
    if (this.isWord('SCHEDULE')) {
      this.next();
      return { kind: 'schedule', source: this.literalText('after SET SCHEDULE'), ...pos };
    }
    return this.fail('Expected BOT MEMORY, USER MEMORY, USER FACT, CONTEXT or SCHEDULE after SET');
  }

  /**
   * The HTTP, mail and sandbox keywords (families 5, 6 and 10), as statements or (`asValue`)
   * values; null when the tokens ahead are none of them. A one-word keyword (PUT, SOAP, ...) is
   * one only where a value follows, so variables of those names keep working.
   */
  serviceKeyword(asValue: boolean): { host: HostStmtKind; args: Expr[] } | null {
    const [first, second] = this.wordsAhead();
    const take = (host: HostStmtKind, words: number, min: number, max: number, usage: string) => {
      const at = this.tok;
      for (let k = 0; k < words; k++) this.next();
      const args = this.atStatementEnd() ? [] : this.exprList();
      if (args.length < min || args.length > max) this.fail(usage, at);
      return { host, args };
    };
    if (first === 'RUN' && (second === 'JAVASCRIPT' || second === 'PYTHON' || second === 'BASH')) {
      const keyword = `RUN ${second}`;
      if (second !== 'JAVASCRIPT') {
        const refused = commandRunnerRefusal(second === 'PYTHON' ? 'python' : 'bash', this.options);
        if (refused) this.fail(refused);
      }
      const host = second === 'JAVASCRIPT' ? 'runJavaScript' : second === 'PYTHON' ? 'runPython' : 'runBash';
      if (this.isWord('WITH', this.peek(2))) {
        // RUN ... WITH FILE "path"[, input]: the code is the bot file's text, read when it runs.
        const at = this.tok;
        if (!this.isWord('FILE', this.peek(3)))
          this.fail(`Expected FILE after ${keyword} WITH`, this.peek(2));
        const pos = { line: at.line, column: at.column };
        const call = take(
          host,
          4,
          1,
          2,
          `${keyword} WITH FILE needs: "path" and optionally the input (any value)`,
        );
        const [path, ...rest] = call.args as [Expr, ...Expr[]];
        return { host, args: [{ kind: 'host', host: 'readFile', args: [path], ...pos }, ...rest] };
      }
      return take(host, 2, 1, 2, `${keyword} needs: "code" and optionally the input (any value)`);
    }
    const file = this.fileKeyword(first, second);
    if (file) return file;
    const valueAfter = this.startsValue(this.peek());
    if ((first === 'PUT' || first === 'PATCH') && valueAfter)
      return take(first === 'PUT' ? 'httpPut' : 'httpPatch', 1, 2, 2, `${first} needs: url, data`);
    if (first === 'DELETE' && second === 'HTTP') return take('httpDelete', 2, 1, 1, 'DELETE HTTP needs: url');
    if (first === 'GRAPHQL' && valueAfter)
      return take('graphql', 1, 2, 3, 'GRAPHQL needs: url, "query" and optionally the variables');
    if (first === 'SOAP' && valueAfter)
      return take('soap', 1, 2, 3, 'SOAP needs: "wsdl url", "operation" and optionally the parameters');
    if (first === 'CREATE' && second === 'DRAFT')
      return take('createDraft', 2, 3, 3, 'CREATE DRAFT needs: to, subject, body');
    if (first === 'ADD' && second === 'MEMBER')
      return take('addMember', 2, 2, 2, 'ADD MEMBER needs: "email", "team"');
    if (asValue) return null;
    if (first === 'SET' && second === 'HEADER')
      return take('setHeader', 2, 2, 2, 'SET HEADER needs: "name", "value"');
    if (first === 'CLEAR' && second === 'HEADERS')
      return take('clearHeaders', 2, 0, 0, 'CLEAR HEADERS takes nothing after it');
    return null;
  }

  /**
   * The bot file keywords (family 4) in General Bots' syntax; null when the tokens ahead are none
   * of them. A one-word keyword (READ, LIST, COPY, ...) is one only where a value follows it, so
   * variables of those names keep working; DELETE FILE and MERGE PDF are told from the table verbs
   * DELETE and MERGE by their second word.
   */
  fileKeyword(
    first: string | undefined,
    second: string | undefined,
  ): { host: HostStmtKind; args: Expr[] } | null {
    const take = (host: HostStmtKind, words: number, min: number, max: number, usage: string) => {
      const at = this.tok;
      for (let k = 0; k < words; k++) this.next();
      const args = this.atStatementEnd() ? [] : this.exprList();
      if (args.length < min || args.length > max) this.fail(usage, at);
      return { host, args };
    };
    if (first === 'DELETE' && second === 'FILE' && this.startsValue(this.peek(2)))
      return take('deleteFile', 2, 1, 1, 'DELETE FILE needs: "path"');
    if (first === 'GENERATE' && second === 'PDF')
      return take('generatePdf', 2, 3, 3, 'GENERATE PDF needs: "template", data, "output.pdf"');
    // A list of paths may be written out: MERGE PDF ["a.pdf", "b.pdf"], COMPRESS ["a", "b"], "x.zip".
    const listOrValue = (t: Token) => this.startsValue(t) || this.isOp('[', t);
    if (first === 'MERGE' && second === 'PDF' && listOrValue(this.peek(2)))
      return take('mergePdf', 2, 2, 2, 'MERGE PDF needs: files (a list of paths), "output.pdf"');
    if (first === 'COMPRESS' && listOrValue(this.peek()))
      return take('compressFiles', 1, 2, 2, FILE_VERBS.COMPRESS!.usage);
    if (!this.startsValue(this.peek()) || first === undefined) return null;
    const oneWord = FILE_VERBS[first];
    return oneWord ? take(oneWord.host, 1, oneWord.count, oneWord.count, oneWord.usage) : null;
  }

  /** The upper-cased identifiers from the current token on (at most three), for keyword look-ups. */
  wordsAhead(): string[] {
    const words: string[] = [];
    for (let k = 0; k < 3; k++) {
      const t = this.peek(k);
      if (t.kind !== 'ident') break;
      words.push(t.text);
    }
    return words;
  }

  /** Does this token start a value (so that the word before it is a keyword, not a variable)? */
  startsValue(t: Token): boolean {
    if (t.kind === 'string' || t.kind === 'number') return true;
    return t.kind === 'ident' && !RESERVED.has(t.text) && t.text !== 'XOR';
  }

  /** BEGIN TALK / BEGIN SYSTEM PROMPT: the lexer has turned the lines of the block into one text. */
  beginBlock(pos: Pos): Stmt {
    const begin = this.next();
    const talk = this.isWord('TALK');
    if (talk) this.next();
    else if (this.isWord('SYSTEM') && this.isWord('PROMPT', this.peek())) {
      this.next();
      this.next();
    } else this.fail('Expected TALK or SYSTEM PROMPT after BEGIN');
    const what = talk ? 'TALK' : 'SYSTEM PROMPT';
    const block = this.tok;
    if (block.kind !== 'string' || block.line <= begin.line)
      this.fail(
        `BEGIN ${what} starts a block: write its text on the next lines, then END ${what} on a line of its own`,
      );
    this.next();
    const text = this.text(block, { line: block.line, column: block.column });
    return talk
      ? { kind: 'talk', value: text, ...pos }
      : { kind: 'host', host: 'setSystemPrompt', args: [text], ...pos };
  }

  /**
   * SAVE "table", name, email, phone: the variables become the row's columns, named as written;
   * the first one is the key the row is upserted by.
   */
  saveStatement(pos: Pos): Stmt {
    if (this.isWord('FROM', this.peek())) return { kind: 'host', ...this.saveFromUnstructured(), ...pos };
    this.next();
    const usage = 'SAVE needs: "table", then the variables to store as columns (the first is the key)';
    if (this.atStatementEnd()) this.fail(usage);
    const table = this.expr();
    const entries: { key: string; value: Expr }[] = [];
    while (this.isOp(',')) {
      this.next();
      const at = this.tok;
      const value = this.expr();
      const column =
        value.kind === 'var' ? (value.raw ?? value.name) : value.kind === 'field' ? value.name : null;
      if (column === null)
        this.fail('SAVE stores variables as columns named after them: put the value in a variable first', at);
      if (entries.some((e) => e.key.toLowerCase() === column.toLowerCase()))
        this.fail(`SAVE lists the column ${column} twice`, at);
      entries.push({ key: column, value });
    }
    if (entries.length === 0) this.fail(usage);
    const row: Expr = { kind: 'object', entries, line: pos.line, column: pos.column };
    return { kind: 'host', host: 'tableSave', args: [table, row], ...pos };
  }

  /**
   * General Bots' ON INSERT OF "table" (UPDATE, DELETE, several with commas, or CHANGE for all),
   * and ON "table" for every change: a declaration, like SET SCHEDULE, of when the script runs.
   */
  onStatement(pos: Pos): Stmt {
    this.next();
    const usage = 'ON needs: INSERT, UPDATE, DELETE or CHANGE, then OF "table" (or just ON "table")';
    const events = new Set<TableEvent>();
    if (this.tok.kind !== 'string') {
      for (;;) {
        const word = this.tok.kind === 'ident' ? this.tok.text : '';
        if (word === 'CHANGE') for (const e of ['insert', 'update', 'delete'] as const) events.add(e);
        else if (word === 'INSERT' || word === 'UPDATE' || word === 'DELETE')
          events.add(word.toLowerCase() as TableEvent);
        else this.fail(usage);
        this.next();
        if (!this.isOp(',')) break;
        this.next();
      }
      if (!this.isWord('OF')) this.fail(usage);
      this.next();
    } else for (const e of ['insert', 'update', 'delete'] as const) events.add(e);
    const at = this.tok;
    const table = tableName(this.literalText('as the table of ON'));
    if (!table.ok) this.fail(table.message, at);
    return { kind: 'on', table: table.name, events: [...events], ...pos };
  }

  /** ADD BOT "name" WITH TRIGGER "a, b" (General Bots also writes TRIGGER ON "a, b"). */
  addBotStatement(pos: Pos): Stmt {
    this.next();
    const usage = 'ADD BOT needs: "bot name" WITH TRIGGER "word, other words"';
    if (this.atStatementEnd()) this.fail(usage);
    const bot = this.expr();
    if (this.isWord('WITH')) this.next();
    if (!this.isWord('TRIGGER')) this.fail(usage);
    this.next();
    if (this.isWord('ON')) this.next();
    if (this.atStatementEnd()) this.fail(usage);
    return { kind: 'host', host: 'addBot', args: [bot, this.expr()], ...pos };
  }

  /** DELEGATE "message" TO BOT "name" and BROADCAST "message" TO BOTS, as statements or values. */
  agentCall(): { host: 'delegateToBot' | 'broadcastToBots'; args: Expr[] } {
    const verb = this.next().text;
    const message = this.expr();
    this.expectWord('TO', `after the message of ${verb}`);
    if (verb === 'BROADCAST') {
      this.expectWord('BOTS', 'after BROADCAST ... TO');
      return { host: 'broadcastToBots', args: [message] };
    }
    this.expectWord('BOT', 'after DELEGATE ... TO');
    if (this.atStatementEnd()) this.fail('DELEGATE needs: "message" TO BOT "bot name"');
    const bot = this.expr();
    // General Bots' optional TIMEOUT seconds: the run's own time limit bounds the wait here.
    if (this.isWord('TIMEOUT')) {
      this.next();
      this.expr();
    }
    return { host: 'delegateToBot', args: [message, bot] };
  }

  /** SAVE FROM UNSTRUCTURED text, schema: as a statement or a value. */
  saveFromUnstructured(): { host: 'saveFromUnstructured'; args: Expr[] } {
    this.next();
    this.next();
    this.expectWord('UNSTRUCTURED', 'after SAVE FROM');
    const usage = 'SAVE FROM UNSTRUCTURED needs: text, schema (a JSON Schema object)';
    if (this.atStatementEnd()) this.fail(usage);
    const text = this.expr();
    if (!this.isOp(',')) this.fail(usage);
    this.next();
    if (this.atStatementEnd()) this.fail(usage);
    return { host: 'saveFromUnstructured', args: [text, this.expr()] };
  }

  /** WEBHOOK "name": the script answers the bot's public endpoint of that name. */
  webhookStatement(pos: Pos): Stmt {
    this.next();
    const at = this.tok;
    const name = this.literalText('after WEBHOOK');
    if (!WEBHOOK_NAME.test(name))
      this.fail(
        `"${name.slice(0, 60)}" is not a webhook name: use letters, digits, _ and - (at most 63, starting with a letter or digit)`,
        at,
      );
    return { kind: 'webhook', name: name.toLowerCase(), ...pos };
  }

  param(pos: Pos): Stmt {
    this.next();
    const raw = this.tok.raw ?? this.tok.text;
    const name = this.name('after PARAM');
    let type = 'STRING';
    let options: string[] | null = null;
    let example: Value = null;
    let description: string | null = null;
    let optional = false;
    if (this.isWord('AS')) {
      this.next();
      if (this.tok.kind === 'string') options = this.optionList('PARAM');
      else {
        const t = this.tok;
        if (!PARAM_TYPES.includes(t.text)) {
          this.fail(
            `Unknown PARAM type ${describe(t)}; use one of ${PARAM_TYPES.join(', ')} or a list of options`,
          );
        }
        this.next();
        type = t.text;
      }
    }
    for (;;) {
      if (this.isWord('LIKE')) {
        this.next();
        example = this.literalValue();
      } else if (this.isWord('DESCRIPTION')) {
        this.next();
        description = this.literalText('after DESCRIPTION');
      } else if (this.isWord('OPTIONAL')) {
        this.next();
        optional = true;
      } else break;
    }
    return { kind: 'param', name, raw, type, options, example, description, optional, ...pos };
  }

  literalValue(): Value {
    const t = this.tok;
    if (t.kind === 'string') return this.literalText('after LIKE');
    let sign = 1;
    if (this.isOp('-')) {
      this.next();
      sign = -1;
    }
    const n = this.tok;
    if (n.kind === 'number') {
      this.next();
      return sign * (n.number as number);
    }
    if (this.isWord('TRUE') || this.isWord('FALSE')) return this.next().text === 'TRUE';
    return this.fail('Expected a literal example (text, number, TRUE or FALSE) after LIKE');
  }

  // ---- expressions ---------------------------------------------------------------------------

  expr(): Expr {
    return this.or();
  }

  binaryLevel(ops: string[], operand: () => Expr): Expr {
    let left = operand();
    for (;;) {
      const t = this.tok;
      const isOp = (t.kind === 'op' || t.kind === 'ident') && ops.includes(t.text);
      if (!isOp) return left;
      this.next();
      const right = operand();
      left = { kind: 'binary', op: t.text, left, right, line: t.line, column: t.column };
    }
  }

  or(): Expr {
    return this.binaryLevel(['OR', 'XOR'], () => this.and());
  }

  and(): Expr {
    return this.binaryLevel(['AND'], () => this.not());
  }

  not(): Expr {
    if (this.isWord('NOT')) {
      const t = this.next();
      return { kind: 'unary', op: 'NOT', operand: this.not(), line: t.line, column: t.column };
    }
    return this.comparison();
  }

  comparison(): Expr {
    return this.binaryLevel(['=', '<>', '<', '>', '<=', '>='], () => this.concat());
  }

  concat(): Expr {
    return this.binaryLevel(['&'], () => this.additive());
  }

  additive(): Expr {
    return this.binaryLevel(['+', '-'], () => this.modulo());
  }

  modulo(): Expr {
    return this.binaryLevel(['MOD'], () => this.intDiv());
  }

  intDiv(): Expr {
    return this.binaryLevel(['\\'], () => this.multiplicative());
  }

  multiplicative(): Expr {
    return this.binaryLevel(['*', '/'], () => this.unary());
  }

  unary(): Expr {
    // NOT in operand position ("1 + NOT x") binds to the operand that follows.
    if (this.isWord('NOT')) {
      const t = this.next();
      return { kind: 'unary', op: 'NOT', operand: this.unary(), line: t.line, column: t.column };
    }
    if (this.isOp('-') || this.isOp('+')) {
      const t = this.next();
      const operand = this.unary();
      if (t.text === '+') return operand;
      if (operand.kind === 'literal' && typeof operand.value === 'number') {
        return { ...operand, value: -operand.value, line: t.line, column: t.column };
      }
      return { kind: 'unary', op: '-', operand, line: t.line, column: t.column };
    }
    return this.power();
  }

  power(): Expr {
    const base = this.postfix();
    if (this.isOp('^')) {
      const t = this.next();
      // -2 ^ 2 is -4 and 2 ^ -1 is 0.5, as in Visual Basic.
      const exponent = this.isOp('-') || this.isOp('+') || this.isWord('NOT') ? this.unary() : this.power();
      return { kind: 'binary', op: '^', left: base, right: exponent, line: t.line, column: t.column };
    }
    return base;
  }

  postfix(): Expr {
    let e = this.primary();
    for (;;) {
      if (this.isOp('.')) {
        const dot = this.next();
        const field = this.tok;
        if (field.kind !== 'ident') this.fail('Expected a field name after "."');
        this.next();
        e = { kind: 'field', object: e, name: this.fieldName(field), line: dot.line, column: dot.column };
      } else if (this.isOp('[')) {
        const open = this.next();
        const index = this.expr();
        this.expectOp(']', 'to close the list position');
        e = { kind: 'index', object: e, index, line: open.line, column: open.column };
      } else {
        return e;
      }
    }
  }

  primary(): Expr {
    const t = this.tok;
    const pos = { line: t.line, column: t.column };
    if (t.kind === 'number') {
      this.next();
      return { kind: 'literal', value: t.number as number, ...pos };
    }
    if (t.kind === 'string') {
      this.next();
      return this.text(t, pos);
    }
    if (this.isOp('(')) {
      this.next();
      const e = this.expr();
      this.expectOp(')', 'to close the parenthesis');
      return e;
    }
    if (this.isOp('[')) {
      this.next();
      const items = this.isOp(']') ? [] : this.exprList();
      this.expectOp(']', 'to close the list');
      return { kind: 'list', items, ...pos };
    }
    if (this.isOp('{')) return this.objectLiteral(pos);
    if (t.kind !== 'ident') this.fail(`Expected a value, found ${describe(t)}`);
    switch (t.text) {
      case 'TRUE':
      case 'FALSE':
        this.next();
        return { kind: 'literal', value: t.text === 'TRUE', ...pos };
      case 'NOTHING':
      case 'NULL':
        this.next();
        return { kind: 'literal', value: null, ...pos };
      case 'GET': {
        this.next();
        if (this.isWord('BOT') || this.isWord('USER')) {
          const who = this.next().text;
          this.expectWord('MEMORY', `after GET ${who}`);
          return {
            kind: 'host',
            host: who === 'BOT' ? 'getBotMemory' : 'getUserMemory',
            args: [this.expr()],
            ...pos,
          };
        }
        return { kind: 'host', host: 'httpGet', args: [this.expr()], ...pos };
      }
      case 'FIND': {
        this.next();
        const first = this.expr();
        if (!this.isOp(',')) return { kind: 'host', host: 'find', args: [first], ...pos };
        this.next();
        return { kind: 'host', host: 'tableFind', args: [first, this.expr()], ...pos };
      }
      case 'LLM':
        this.next();
        return { kind: 'host', host: 'llm', args: [this.expr()], ...pos };
    }
    const refused = unavailableKeyword(this.wordsAhead(), this.startsValue(this.peek()));
    if (refused) this.fail(refused);
    const service = this.serviceKeyword(true);
    if (service) return { kind: 'host', host: service.host as ServiceHostKind, args: service.args, ...pos };
    if ((t.text === 'DELEGATE' || t.text === 'BROADCAST') && this.startsValue(this.peek()))
      return { kind: 'host', ...this.agentCall(), ...pos };
    if (t.text === 'SAVE' && this.isWord('FROM', this.peek()))
      return { kind: 'host', ...this.saveFromUnstructured(), ...pos };
    const verb = TABLE_VERBS[t.text];
    if (verb && this.startsValue(this.peek())) {
      this.next();
      const args = this.exprList();
      if (args.length !== verb.count) this.fail(verb.usage, t);
      return { kind: 'host', host: verb.host, args, ...pos };
    }
    if (t.text === 'USER' && this.isWord('FACTS', this.peek())) {
      this.next();
      this.next();
      if (this.isOp('(')) {
        this.next();
        this.expectOp(')', 'after USER FACTS(');
      }
      return { kind: 'host', host: 'userFacts', args: [], ...pos };
    }
    if (t.text === 'RECALL' && this.startsValue(this.peek())) {
      this.next();
      return { kind: 'host', host: 'recall', args: [this.expr()], ...pos };
    }
    if (t.text === 'GROUP' && this.isWord('BY', this.peek())) {
      this.next();
      this.next();
      return { kind: 'call', name: 'GROUP BY', args: this.verbArgs('GROUP BY'), ...pos };
    }
    if (DATA_VERBS.has(t.text) && !this.isOp('(', this.peek()) && this.startsValue(this.peek())) {
      this.next();
      return { kind: 'call', name: t.text, args: this.exprList(), ...pos };
    }
    const name = this.name('in the expression');
    if (this.isOp('(')) {
      this.next();
      const args = this.isOp(')') ? [] : this.exprList();
      this.expectOp(')', `to close the arguments of ${name}`);
      return { kind: 'call', name, args, ...pos };
    }
    return { kind: 'var', name, raw: t.raw, ...pos };
  }

  /** A verb's arguments, in parentheses or not. */
  verbArgs(name: string): Expr[] {
    if (this.isOp('(')) {
      this.next();
      const args = this.isOp(')') ? [] : this.exprList();
      this.expectOp(')', `to close the arguments of ${name}`);
      return args;
    }
    return this.exprList();
  }

  objectLiteral(pos: Pos): Expr {
    this.next();
    const entries: { key: string; value: Expr }[] = [];
    this.skipNewlines();
    while (!this.isOp('}')) {
      const k = this.tok;
      let key: string;
      if (k.kind === 'string') key = this.literalText('as an object key');
      else if (k.kind === 'ident') {
        key = this.fieldName(k);
        this.next();
      } else this.fail(`Expected a key in the object, found ${describe(k)}`);
      this.expectOp(':', `after the key "${key}"`);
      entries.push({ key, value: this.expr() });
      this.skipNewlinesOnly();
      if (!this.isOp(',')) break;
      this.next();
      this.skipNewlinesOnly();
    }
    this.expectOp('}', 'to close the object');
    return { kind: 'object', entries, ...pos };
  }

  atEnd(): boolean {
    return this.tok.kind === 'eof';
  }

  skipNewlinesOnly(): void {
    while (this.tok.kind === 'newline') this.next();
  }

  text(t: Token, pos: Pos): Expr {
    const parts = t.parts as StringPart[];
    if (parts.every((p) => p.kind === 'text')) {
      return { kind: 'literal', value: parts.map((p) => (p.kind === 'text' ? p.text : '')).join(''), ...pos };
    }
    const pieces: (string | Expr)[] = [];
    for (const part of parts) {
      if (part.kind === 'text') {
        pieces.push(part.text);
        continue;
      }
      const inner = lex(part.source, part.line, part.column);
      for (const e of inner.errors)
        this.fail(e.message, { kind: 'eof', text: '', line: e.line, column: e.column });
      const sub = new Parser(inner.tokens, this.errors, this.options);
      sub.skipNewlinesOnly();
      if (sub.tok.kind === 'eof')
        this.fail('Empty $' + '{} in text', { kind: 'eof', text: '', line: part.line, column: part.column });
      const e = sub.expr();
      sub.skipNewlinesOnly();
      if (!sub.atEnd()) sub.fail(`Unexpected ${describe(sub.tok)} inside \${...}`);
      pieces.push(e);
    }
    return { kind: 'text', parts: pieces, ...pos };
  }
}
