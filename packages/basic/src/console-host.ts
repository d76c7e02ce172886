// The host behind the CLI: TALK prints, memories live in this process, and every keyword that
// needs a Conduit service says plainly that it is not available here.
import { HostUnavailableError } from './errors.js';
import type { BasicHost } from './host.js';
import type { Value } from './values.js';

export interface ConsoleHostOptions {
  /** Where TALK goes (one message per call). */
  say: (text: string) => void;
  /** Where PRINT goes. */
  log: (text: string) => void;
}

export interface ConsoleHost extends BasicHost {
  readonly botMemory: Map<string, Value>;
  readonly userMemory: Map<string, Value>;
  /** The last SET CONTEXT; kept so a script can set it, though no LLM here reads it. */
  context: string;
  /** BEGIN SYSTEM PROMPT, kept like the context. */
  systemPrompt: string;
  readonly suggestions: Map<string, string>;
  readonly facts: Map<string, Value>;
}

function unavailable(keyword: string): never {
  throw new HostUnavailableError(
    `${keyword} is unavailable outside the Conduit cluster (the console host has no such service)`,
  );
}

export function createConsoleHost(options: ConsoleHostOptions): ConsoleHost {
  return {
    botMemory: new Map<string, Value>(),
    userMemory: new Map<string, Value>(),
    context: '',
    systemPrompt: '',
    suggestions: new Map<string, string>(),
    facts: new Map<string, Value>(),
    async talk(text) {
      options.say(text);
    },
    async print(text) {
      options.log(text);
    },
    async getBotMemory(key) {
      return this.botMemory.get(key) ?? null;
    },
    async setBotMemory(key, value) {
      this.botMemory.set(key, value);
    },
    async getUserMemory(key) {
      return this.userMemory.get(key) ?? null;
    },
    async setUserMemory(key, value) {
      this.userMemory.set(key, value);
    },
    async setContext(text) {
      this.context = text;
    },
    async setSystemPrompt(text) {
      this.systemPrompt = text;
    },
    async addSuggestion(key, text) {
      this.suggestions.set(key, text);
      options.log(`(suggestion) ${text}`);
    },
    async clearSuggestions() {
      this.suggestions.clear();
    },
    // The console keeps REMEMBER for the run only: durations end with the process anyway.
    async remember(key, value) {
      this.userMemory.set(`remember:${key}`, value);
    },
    async recall(key) {
      return this.userMemory.get(`remember:${key}`) ?? null;
    },
    async setUserFact(key, value) {
      this.facts.set(key, value);
    },
    async userFacts() {
      return Object.fromEntries(this.facts);
    },
    useModel: async () => unavailable('USE MODEL'),
    useConnection: async () => unavailable('USE CONNECTION'),
    tableSave: async () => unavailable('SAVE'),
    tableInsert: async () => unavailable('INSERT'),
    tableUpdate: async () => unavailable('UPDATE'),
    tableDelete: async () => unavailable('DELETE'),
    tableFind: async () => unavailable('FIND'),
    tableMerge: async () => unavailable('MERGE'),
    useKb: async () => unavailable('USE KB'),
    clearKb: async () => unavailable('CLEAR KB'),
    find: async () => unavailable('FIND'),
    useTool: async () => unavailable('USE TOOL'),
    clearTools: async () => unavailable('CLEAR TOOLS'),
    llm: async () => unavailable('LLM'),
    sendMail: async () => unavailable('SEND MAIL'),
    httpGet: async () => unavailable('GET'),
    httpPost: async () => unavailable('POST'),
    httpPut: async () => unavailable('PUT'),
    httpPatch: async () => unavailable('PATCH'),
    httpDelete: async () => unavailable('DELETE HTTP'),
    setHeader: async () => unavailable('SET HEADER'),
    clearHeaders: async () => unavailable('CLEAR HEADERS'),
    graphql: async () => unavailable('GRAPHQL'),
    soap: async () => unavailable('SOAP'),
    runJavaScript: async () => unavailable('RUN JAVASCRIPT'),
    runPython: async () => unavailable('RUN PYTHON'),
    runBash: async () => unavailable('RUN BASH'),
    createDraft: async () => unavailable('CREATE DRAFT'),
    addMember: async () => unavailable('ADD MEMBER'),
    addBot: async () => unavailable('ADD BOT'),
    delegateToBot: async () => unavailable('DELEGATE TO BOT'),
    transferConversation: async () => unavailable('TRANSFER CONVERSATION'),
    broadcastToBots: async () => unavailable('BROADCAST TO BOTS'),
    saveFromUnstructured: async () => unavailable('SAVE FROM UNSTRUCTURED'),
    useWebsite: async () => unavailable('USE WEBSITE'),
    readFile: async () => unavailable('READ'),
    writeFile: async () => unavailable('WRITE'),
    listFiles: async () => unavailable('LIST'),
    copyFile: async () => unavailable('COPY'),
    moveFile: async () => unavailable('MOVE'),
    deleteFile: async () => unavailable('DELETE FILE'),
    uploadFile: async () => unavailable('UPLOAD'),
    downloadFile: async () => unavailable('DOWNLOAD'),
    compressFiles: async () => unavailable('COMPRESS'),
    extractFiles: async () => unavailable('EXTRACT'),
    generatePdf: async () => unavailable('GENERATE PDF'),
    mergePdf: async () => unavailable('MERGE PDF'),
  };
}
