// The only door between a script and the world. Every platform keyword becomes one async call on
// a host the caller provides; a host may leave out what it cannot do, and the script then gets a
// HOST_UNAVAILABLE error naming the keyword.
import type { Value } from './values.js';

export interface BasicHost {
  /** TALK: a message to the user. */
  talk(text: string): Promise<void>;
  /** PRINT: a log line for the bot's developer; ignored when the host leaves it out. */
  print(text: string): Promise<void>;
  getBotMemory(key: string): Promise<unknown>;
  setBotMemory(key: string, value: Value): Promise<void>;
  getUserMemory(key: string): Promise<unknown>;
  setUserMemory(key: string, value: Value): Promise<void>;
  useKb(name: string): Promise<void>;
  /** CLEAR KB without a name clears every knowledge base: `name` is null. */
  clearKb(name: string | null): Promise<void>;
  /** FIND: knowledge search; the answer may be text or JSON data. */
  find(query: string): Promise<unknown>;
  useTool(name: string): Promise<void>;
  clearTools(): Promise<void>;
  llm(prompt: string): Promise<unknown>;
  setContext(text: string): Promise<void>;
  sendMail(to: string, subject: string, body: string): Promise<void>;
  httpGet(url: string): Promise<unknown>;
  httpPost(url: string, data: Value): Promise<unknown>;
  /** BEGIN SYSTEM PROMPT ... END SYSTEM PROMPT: the session's system prompt for LLM turns. */
  setSystemPrompt(text: string): Promise<void>;
  /** ADD SUGGESTION "key" AS "text": a quick reply offered with the bot's answer. */
  addSuggestion(key: string, text: string): Promise<void>;
  clearSuggestions(): Promise<void>;
  /** USE MODEL: the model of the session's next LLM calls; the host refuses one it does not know. */
  useModel(name: string): Promise<void>;
  /**
   * USE CONNECTION "id": an integration connection the script's owner may use; from then on GET
   * and POST to URLs under its base URL carry its authorization (and no other URL does).
   */
  useConnection(id: string): Promise<void>;
  /** REMEMBER key, value[, duration]: a memory of the user with this bot, for a while or for good. */
  remember(key: string, value: Value, duration: string | null): Promise<void>;
  /** RECALL key: what REMEMBER stored (Nothing once it has expired). */
  recall(key: string): Promise<unknown>;
  setUserFact(key: string, value: Value): Promise<void>;
  /** USER FACTS(): the user's facts as an object, key to value. */
  userFacts(): Promise<unknown>;
  /** SAVE "table", a, b: upserts the row by its first column; answers the row. */
  tableSave(table: string, row: Value): Promise<unknown>;
  /** INSERT "table", row: a new row; answers its id. */
  tableInsert(table: string, row: Value): Promise<unknown>;
  /** UPDATE "table", "filter", changes: answers how many rows changed. */
  tableUpdate(table: string, filter: string, changes: Value): Promise<unknown>;
  /** DELETE "table", "filter": answers how many rows went. */
  tableDelete(table: string, filter: string): Promise<unknown>;
  /** FIND "table", "filter": the matching rows, as objects. */
  tableFind(table: string, filter: string): Promise<unknown>;
  /** MERGE "table", rows, "key": upserts each row by its key column; answers how many. */
  tableMerge(table: string, rows: Value, key: string): Promise<unknown>;
}

/** What run() and resume() accept: any subset of the host methods. */
export type HostInput = Partial<BasicHost>;

/** The keyword each host method serves, for error messages. */
export const HOST_KEYWORDS: Record<keyof BasicHost, string> = {
  talk: 'TALK',
  print: 'PRINT',
  getBotMemory: 'GET BOT MEMORY',
  setBotMemory: 'SET BOT MEMORY',
  getUserMemory: 'GET USER MEMORY',
  setUserMemory: 'SET USER MEMORY',
  useKb: 'USE KB',
  clearKb: 'CLEAR KB',
  find: 'FIND',
  useTool: 'USE TOOL',
  clearTools: 'CLEAR TOOLS',
  llm: 'LLM',
  setContext: 'SET CONTEXT',
  sendMail: 'SEND MAIL',
  httpGet: 'GET',
  httpPost: 'POST',
  setSystemPrompt: 'BEGIN SYSTEM PROMPT',
  addSuggestion: 'ADD SUGGESTION',
  clearSuggestions: 'CLEAR SUGGESTIONS',
  useModel: 'USE MODEL',
  useConnection: 'USE CONNECTION',
  remember: 'REMEMBER',
  recall: 'RECALL',
  setUserFact: 'SET USER FACT',
  userFacts: 'USER FACTS',
  tableSave: 'SAVE',
  tableInsert: 'INSERT',
  tableUpdate: 'UPDATE',
  tableDelete: 'DELETE',
  tableFind: 'FIND',
  tableMerge: 'MERGE',
};
