// A host that records every call, for tests. Each test builds its own, so nothing is shared.
import {
  type BasicHost,
  compile,
  type Program,
  type RunOptions,
  type RunResult,
  resume,
  run,
  type Value,
} from '../src/index.js';

export interface Recorded {
  method: string;
  args: unknown[];
}

export function recordingHost(overrides: Partial<BasicHost> = {}) {
  const calls: Recorded[] = [];
  const talks: string[] = [];
  const prints: string[] = [];
  const botMemory = new Map<string, Value>();
  const userMemory = new Map<string, Value>();
  const record =
    (method: string) =>
    async (...args: unknown[]): Promise<void> => {
      calls.push({ method, args });
    };
  const host: BasicHost = {
    talk: async (text) => {
      talks.push(text);
    },
    print: async (text) => {
      prints.push(text);
    },
    getBotMemory: async (key) => botMemory.get(key) ?? null,
    setBotMemory: async (key, value) => {
      botMemory.set(key, value);
    },
    getUserMemory: async (key) => userMemory.get(key) ?? null,
    setUserMemory: async (key, value) => {
      userMemory.set(key, value);
    },
    useKb: record('useKb'),
    clearKb: record('clearKb'),
    find: async (query) => {
      calls.push({ method: 'find', args: [query] });
      return [{ title: 'Refund policy', text: `About ${query}` }];
    },
    useTool: record('useTool'),
    clearTools: record('clearTools'),
    llm: async (prompt) => {
      calls.push({ method: 'llm', args: [prompt] });
      return `LLM says: ${prompt}`;
    },
    setContext: record('setContext'),
    sendMail: record('sendMail'),
    httpGet: async (url) => {
      calls.push({ method: 'httpGet', args: [url] });
      return { url, items: [1, 2, 3], nested: { ok: true } };
    },
    httpPost: async (url, data) => {
      calls.push({ method: 'httpPost', args: [url, data] });
      return { status: 201 };
    },
    httpPut: async (url, data) => {
      calls.push({ method: 'httpPut', args: [url, data] });
      return { put: data };
    },
    httpPatch: async (url, data) => {
      calls.push({ method: 'httpPatch', args: [url, data] });
      return { patched: data };
    },
    httpDelete: async (url) => {
      calls.push({ method: 'httpDelete', args: [url] });
      return '';
    },
    setHeader: record('setHeader'),
    clearHeaders: record('clearHeaders'),
    graphql: async (url, query, variables) => {
      calls.push({ method: 'graphql', args: [url, query, variables] });
      return { answered: query };
    },
    soap: async (wsdl, operation, params) => {
      calls.push({ method: 'soap', args: [wsdl, operation, params] });
      return { operation };
    },
    runJavaScript: async (code, input) => {
      calls.push({ method: 'runJavaScript', args: [code, input] });
      return 42;
    },
    runPython: async (code, input) => {
      calls.push({ method: 'runPython', args: [code, input] });
      return 'python output';
    },
    runBash: async (code, input) => {
      calls.push({ method: 'runBash', args: [code, input] });
      return 'bash output';
    },
    createDraft: async (to, subject, body) => {
      calls.push({ method: 'createDraft', args: [to, subject, body] });
      return 'draft-1';
    },
    addMember: async (email, team) => {
      calls.push({ method: 'addMember', args: [email, team] });
      return 'invite-1';
    },
    setSystemPrompt: record('setSystemPrompt'),
    addSuggestion: record('addSuggestion'),
    clearSuggestions: record('clearSuggestions'),
    useModel: record('useModel'),
    useConnection: record('useConnection'),
    addBot: record('addBot'),
    delegateToBot: async (message, bot) => {
      calls.push({ method: 'delegateToBot', args: [message, bot] });
      return `${bot} says: ${message}`;
    },
    transferConversation: record('transferConversation'),
    broadcastToBots: async (message) => {
      calls.push({ method: 'broadcastToBots', args: [message] });
      return [{ bot: 'sales', answer: message }];
    },
    saveFromUnstructured: async (text, schema) => {
      calls.push({ method: 'saveFromUnstructured', args: [text, schema] });
      return { text };
    },
    useWebsite: record('useWebsite'),
    readFile: async (path) => {
      calls.push({ method: 'readFile', args: [path] });
      return `contents of ${path}`;
    },
    writeFile: record('writeFile'),
    listFiles: async (folder) => {
      calls.push({ method: 'listFiles', args: [folder] });
      return [{ name: 'a.txt', path: `${folder}/a.txt`, size: 1 }];
    },
    copyFile: record('copyFile'),
    moveFile: record('moveFile'),
    deleteFile: record('deleteFile'),
    uploadFile: async (path, url) => {
      calls.push({ method: 'uploadFile', args: [path, url] });
      return { uploaded: path };
    },
    downloadFile: async (url, path) => {
      calls.push({ method: 'downloadFile', args: [url, path] });
      return path;
    },
    compressFiles: async (files, archive) => {
      calls.push({ method: 'compressFiles', args: [files, archive] });
      return archive;
    },
    extractFiles: async (archive, folder) => {
      calls.push({ method: 'extractFiles', args: [archive, folder] });
      return [`${folder}/a.txt`];
    },
    generatePdf: async (template, data, output) => {
      calls.push({ method: 'generatePdf', args: [template, data, output] });
      return { path: output, pages: 1 };
    },
    mergePdf: async (files, output) => {
      calls.push({ method: 'mergePdf', args: [files, output] });
      return { path: output, pages: 2 };
    },
    remember: record('remember'),
    recall: async (key) => {
      calls.push({ method: 'recall', args: [key] });
      return `recalled ${key}`;
    },
    setUserFact: record('setUserFact'),
    userFacts: async () => {
      calls.push({ method: 'userFacts', args: [] });
      return { city: 'Lisbon' };
    },
    tableSave: async (...args) => {
      calls.push({ method: 'tableSave', args });
      return args[1];
    },
    tableInsert: async (...args) => {
      calls.push({ method: 'tableInsert', args });
      return 'row-1';
    },
    tableUpdate: async (...args) => {
      calls.push({ method: 'tableUpdate', args });
      return 2;
    },
    tableDelete: async (...args) => {
      calls.push({ method: 'tableDelete', args });
      return 1;
    },
    tableFind: async (...args) => {
      calls.push({ method: 'tableFind', args });
      return [{ name: 'Ana', age: 31 }];
    },
    tableMerge: async (...args) => {
      calls.push({ method: 'tableMerge', args });
      return 3;
    },
    ...overrides,
  };
  return { host, calls, talks, prints, botMemory, userMemory };
}

export function mustCompile(source: string): Program {
  const result = compile(source);
  if (!result.ok) throw new Error(`compile failed: ${JSON.stringify(result.errors)}`);
  return result.program;
}

/** Compiles and runs a script to completion (or suspension) with a fresh recording host. */
export async function runScript(source: string, options: Partial<RunOptions> = {}) {
  const recorder = recordingHost();
  const program = mustCompile(source);
  const result = await run(program, { host: recorder.host, ...options });
  return { ...recorder, program, result };
}

export function expectDone(result: RunResult): Extract<RunResult, { status: 'done' }> {
  if (result.status !== 'done') throw new Error(`expected done, got ${JSON.stringify(result)}`);
  return result;
}

export function expectError(result: RunResult): Extract<RunResult, { status: 'error' }> {
  if (result.status !== 'error') throw new Error(`expected error, got ${JSON.stringify(result.status)}`);
  return result;
}

/** Resumes after a JSON round trip of the state, as another process would. */
export async function resumeJson(
  program: Program,
  result: RunResult,
  answer: string | undefined,
  host: BasicHost,
) {
  if (result.status !== 'suspended') throw new Error(`expected suspended, got ${JSON.stringify(result)}`);
  const state = JSON.parse(JSON.stringify(result.state));
  return resume(program, state, answer, { host });
}
