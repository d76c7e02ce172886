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
};
