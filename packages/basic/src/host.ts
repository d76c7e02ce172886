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
  /**
   * SEND MAIL: `attachments` (null when not given) is a bot file's path or a list of them, which
   * go with the mail (General Bots' fourth argument).
   */
  sendMail(to: string, subject: string, body: string, attachments: Value | null): Promise<void>;
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
  /** PUT url, data: the answer's JSON, else its text (as GET and POST). */
  httpPut(url: string, data: Value): Promise<unknown>;
  httpPatch(url: string, data: Value): Promise<unknown>;
  /** DELETE HTTP url. */
  httpDelete(url: string): Promise<unknown>;
  /** SET HEADER name, value: sent with the script's later HTTP keywords. */
  setHeader(name: string, value: string): Promise<void>;
  clearHeaders(): Promise<void>;
  /** GRAPHQL url, query[, variables]: the answer's `data`; its `errors` are the script's error. */
  graphql(url: string, query: string, variables: Value): Promise<unknown>;
  /** SOAP wsdl, operation[, params]: the operation's answer as an object. */
  soap(wsdl: string, operation: string, params: Value): Promise<unknown>;
  /** RUN JAVASCRIPT code[, input]: the code's value in a sandbox, `input` as its global. */
  runJavaScript(code: string, input: Value): Promise<unknown>;
  /** RUN PYTHON code[, input]: standard output; the input as JSON on standard input. */
  runPython(code: string, input: Value): Promise<unknown>;
  runBash(code: string, input: Value): Promise<unknown>;
  /** CREATE DRAFT to, subject, body: a draft in the bot's mailbox; answers its id. */
  createDraft(to: string, subject: string, body: string): Promise<unknown>;
  /** ADD MEMBER email, team: invites the address into the team, as the bot's owner. */
  addMember(email: string, team: string): Promise<unknown>;
  /** ADD BOT "name" WITH TRIGGER "a, b": that bot answers the session's messages that mention a word. */
  addBot(bot: string, triggers: string): Promise<void>;
  /** DELEGATE "message" TO BOT "name": the other bot's answer, as text. */
  delegateToBot(message: string, bot: string): Promise<unknown>;
  /** TRANSFER CONVERSATION TO "name": the other bot answers the session from now on. */
  transferConversation(bot: string): Promise<void>;
  /** BROADCAST "message" TO BOTS: every added bot's answer, as a list of { bot, answer }. */
  broadcastToBots(message: string): Promise<unknown>;
  /** SAVE FROM UNSTRUCTURED text, schema: the LLM's JSON reading of the text, valid for the schema. */
  saveFromUnstructured(text: string, schema: Value): Promise<unknown>;
  /** USE WEBSITE "url": the site's pages become knowledge of the session (FIND and LLM answers). */
  useWebsite(url: string): Promise<void>;
  /** READ "path": a bot file's contents as text. */
  readFile(path: string): Promise<unknown>;
  /** WRITE "path", data: text as it is; a list of rows as CSV for a .csv path; anything else as JSON. */
  writeFile(path: string, data: Value): Promise<unknown>;
  /** LIST "folder": the bot's files under the folder (all of them for ""), as objects. */
  listFiles(folder: string): Promise<unknown>;
  copyFile(from: string, to: string): Promise<unknown>;
  moveFile(from: string, to: string): Promise<unknown>;
  /** DELETE FILE "path". */
  deleteFile(path: string): Promise<unknown>;
  /** UPLOAD "path", url: sends the bot file to the URL (multipart, field `file`); answers the answer. */
  uploadFile(path: string, url: string): Promise<unknown>;
  /** DOWNLOAD url, "path": fetches the URL into the bot file; answers its path. */
  downloadFile(url: string, path: string): Promise<unknown>;
  /** COMPRESS files, "archive.zip": `files` a list of paths or one folder; answers the archive's path. */
  compressFiles(files: Value, archive: string): Promise<unknown>;
  /** EXTRACT "archive.zip", "folder": the zip's files into the folder; answers their paths. */
  extractFiles(archive: string, folder: string): Promise<unknown>;
  /** GENERATE PDF "template", data, "out.pdf": the template filled with the data; answers the file. */
  generatePdf(template: string, data: Value, output: string): Promise<unknown>;
  /** MERGE PDF files, "out.pdf": the PDFs one after another; answers the file. */
  mergePdf(files: Value, output: string): Promise<unknown>;
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
  httpPut: 'PUT',
  httpPatch: 'PATCH',
  httpDelete: 'DELETE HTTP',
  setHeader: 'SET HEADER',
  clearHeaders: 'CLEAR HEADERS',
  graphql: 'GRAPHQL',
  soap: 'SOAP',
  runJavaScript: 'RUN JAVASCRIPT',
  runPython: 'RUN PYTHON',
  runBash: 'RUN BASH',
  createDraft: 'CREATE DRAFT',
  addMember: 'ADD MEMBER',
  addBot: 'ADD BOT',
  delegateToBot: 'DELEGATE TO BOT',
  transferConversation: 'TRANSFER CONVERSATION',
  broadcastToBots: 'BROADCAST TO BOTS',
  saveFromUnstructured: 'SAVE FROM UNSTRUCTURED',
  useWebsite: 'USE WEBSITE',
  readFile: 'READ',
  writeFile: 'WRITE',
  listFiles: 'LIST',
  copyFile: 'COPY',
  moveFile: 'MOVE',
  deleteFile: 'DELETE FILE',
  uploadFile: 'UPLOAD',
  downloadFile: 'DOWNLOAD',
  compressFiles: 'COMPRESS',
  extractFiles: 'EXTRACT',
  generatePdf: 'GENERATE PDF',
  mergePdf: 'MERGE PDF',
};
