// The syntax tree. It only lives between parsing and compiling; nothing executes it.
import type { Value } from './values.js';

export interface Pos {
  line: number;
  column: number;
}

/** Bot table verbs: statements, or expressions when their result is used. */
export type TableHostKind =
  | 'tableSave'
  | 'tableInsert'
  | 'tableUpdate'
  | 'tableDelete'
  | 'tableFind'
  | 'tableMerge';

export type HostExprKind =
  | 'getBotMemory'
  | 'getUserMemory'
  | 'find'
  | 'llm'
  | 'httpGet'
  | 'httpPost'
  | 'recall'
  | 'userFacts'
  | TableHostKind
  | ServiceHostKind
  | AgentHostKind
  | FileHostKind;

/**
 * The bot's files (issue #19, family 4): statements, or values when their result is used
 * (`text = READ "notes.txt"`).
 */
export type FileHostKind =
  | 'readFile'
  | 'writeFile'
  | 'listFiles'
  | 'copyFile'
  | 'moveFile'
  | 'deleteFile'
  | 'uploadFile'
  | 'downloadFile'
  | 'compressFiles'
  | 'extractFiles'
  | 'generatePdf'
  | 'mergePdf';

/**
 * Multi-agent and AI helper keywords (issue #19, families 8 and 9) that answer a value when it is
 * used (`answer = DELEGATE "q" TO BOT "sales"`).
 */
export type AgentHostKind = 'delegateToBot' | 'broadcastToBots' | 'saveFromUnstructured';

/**
 * HTTP verbs, mail and tasks, sandboxed code (issue #19, families 5, 6 and 10): statements, or
 * values when their result is used (`r = PUT url, data`).
 */
export type ServiceHostKind =
  | 'httpPut'
  | 'httpPatch'
  | 'httpDelete'
  | 'graphql'
  | 'soap'
  | 'runJavaScript'
  | 'runPython'
  | 'runBash'
  | 'createDraft'
  | 'addMember';

export type Expr = Pos &
  (
    | { kind: 'literal'; value: Value }
    | { kind: 'text'; parts: (string | Expr)[] }
    | { kind: 'var'; name: string; raw?: string }
    | { kind: 'field'; object: Expr; name: string }
    | { kind: 'index'; object: Expr; index: Expr }
    | { kind: 'call'; name: string; args: Expr[] }
    | { kind: 'unary'; op: '-' | 'NOT'; operand: Expr }
    | { kind: 'binary'; op: string; left: Expr; right: Expr }
    | { kind: 'list'; items: Expr[] }
    | { kind: 'object'; entries: { key: string; value: Expr }[] }
    | { kind: 'host'; host: HostExprKind; args: Expr[] }
  );

/** Where an assignment, HEAR, FOR or FOR EACH stores its value. */
export type Target = Expr & { kind: 'var' | 'field' | 'index' };

export type HearType =
  | 'STRING'
  | 'NUMBER'
  | 'INTEGER'
  | 'BOOLEAN'
  | 'EMAIL'
  | 'DATE'
  | 'HOUR'
  | 'MONEY'
  | 'MOBILE'
  | 'ZIPCODE';

export type CaseTest =
  | { kind: 'value'; value: Expr }
  | { kind: 'range'; from: Expr; to: Expr }
  | { kind: 'is'; op: string; value: Expr };

export type HostStmtKind =
  | 'setBotMemory'
  | 'setUserMemory'
  | 'useKb'
  | 'clearKb'
  | 'useTool'
  | 'clearTools'
  | 'setContext'
  | 'sendMail'
  | 'httpPost'
  | 'setSystemPrompt'
  | 'addSuggestion'
  | 'clearSuggestions'
  | 'useModel'
  | 'useConnection'
  | 'remember'
  | 'setUserFact'
  | 'setHeader'
  | 'clearHeaders'
  | 'addBot'
  | 'transferConversation'
  | 'useWebsite'
  | TableHostKind
  | ServiceHostKind
  | AgentHostKind
  | FileHostKind;

export type Stmt = Pos &
  (
    | { kind: 'assign'; target: Target; value: Expr }
    | { kind: 'dim'; name: string; value: Expr | null }
    | { kind: 'if'; branches: { cond: Expr; body: Stmt[]; pos: Pos }[]; otherwise: Stmt[] | null }
    | { kind: 'for'; variable: Target; from: Expr; to: Expr; step: Expr | null; body: Stmt[] }
    | { kind: 'forEach'; variable: Target; list: Expr; body: Stmt[] }
    | {
        kind: 'do';
        test: 'pre' | 'post' | 'none';
        until: boolean;
        cond: Expr | null;
        condPos: Pos;
        body: Stmt[];
      }
    | { kind: 'exit'; what: 'FOR' | 'DO' | 'WHILE' | 'SUB' | 'FUNCTION' }
    | {
        kind: 'select';
        subject: Expr;
        cases: { tests: CaseTest[]; body: Stmt[]; pos: Pos }[];
        otherwise: Stmt[] | null;
      }
    | { kind: 'call'; name: string; args: Expr[] }
    | { kind: 'return'; value: Expr | null }
    | { kind: 'end' }
    | { kind: 'talk'; value: Expr }
    | { kind: 'print'; values: Expr[] }
    | { kind: 'hear'; target: Target; type: HearType; options: string[] | null }
    | { kind: 'wait'; seconds: Expr }
    | { kind: 'host'; host: HostStmtKind; args: Expr[] }
    | { kind: 'schedule'; source: string }
    | {
        kind: 'param';
        name: string;
        raw: string;
        type: string;
        options: string[] | null;
        example: Value;
        description: string | null;
        optional: boolean;
      }
    | { kind: 'description'; text: string }
    /** ON INSERT OF "table" (or ON "table"): the script runs when the bot's table changes so. */
    | { kind: 'on'; table: string; events: TableEvent[] }
    /** WEBHOOK "name": the script answers the bot's public endpoint of that name. */
    | { kind: 'webhook'; name: string }
  );

/** The changes of a bot table an ON handler can wait for. */
export type TableEvent = 'insert' | 'update' | 'delete';

export interface RoutineDecl extends Pos {
  kind: 'sub' | 'function';
  name: string;
  params: string[];
  body: Stmt[];
}

export interface ProgramAst {
  main: Stmt[];
  routines: RoutineDecl[];
}
