import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConversationHarness, startConversationHarness } from '../fixtures/conversation-harness.js';
import { startOpenAiServer } from '../fixtures/openai-server.js';

// General Bots BASIC multi-agent keywords and AI helpers (issue #19, families 8 and 9) through the
// service on real Postgres, Redis and NATS, with a real OpenAI-compatible server: each checked by
// what the other bot was asked and answered, who answers the session afterwards, and what was
// stored; a stranger's bot is never reached.

let h: ConversationHarness;
/** A local HTTP server that records the headers of each request scripts send it. */
let probe: Server;
let probeUrl: string;
const probed: IncomingHttpHeaders[] = [];
let llm: Awaited<ReturnType<typeof startOpenAiServer>>;
type Minted = Awaited<ReturnType<ConversationHarness['tokens']['mint']>>;
let user: Minted;
let stranger: Minted;
const orgId = crypto.randomUUID();

beforeAll(async () => {
  llm = await startOpenAiServer();
  probe = createServer((req, res) => {
    probed.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok": true}');
  });
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  probeUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}/probe`;
  // The probe is local: allowed here as a public address would be.
  h = await startConversationHarness({ env: { SCRIPT_HTTP_ALLOW: '127.0.0.0/8' } });
  user = await h.tokens.mint({ orgId, perms: ['org.manage', 'bots.read', 'bots.write'] });
  stranger = await h.tokens.mint({
    orgId: crypto.randomUUID(),
    perms: ['org.manage', 'bots.read', 'bots.write'],
  });
  for (const who of [user, stranger]) {
    const provider = await call(
      'POST',
      '/v1/providers',
      { name: 'Local', baseUrl: llm.url, apiKey: 'sk-1' },
      who,
    );
    for (const name of ['echo', 'extract'])
      await call('POST', '/v1/models', { providerId: provider.id, name }, who);
  }
});
afterAll(async () => {
  await h?.close();
  await llm?.close();
  await new Promise((resolve) => probe?.close(resolve));
});

async function call(method: string, url: string, payload?: object, who: Minted = user) {
  const res = await h.app.inject({
    method: method as 'GET',
    url,
    headers: who.headers,
    ...(payload ? { payload } : {}),
  });
  if (res.statusCode >= 300) throw new Error(`${method} ${url} -> ${res.statusCode} ${res.body}`);
  return res.statusCode === 204 ? null : res.json();
}

async function botWith(
  name: string,
  script: string | null,
  config: Record<string, string>,
  who: Minted = user,
) {
  const bot = await call('POST', '/v1/bots', { name, script }, who);
  const items = Object.entries({ 'llm-model': 'echo', ...config }).map(([key, value]) => ({ key, value }));
  await call('PUT', `/v1/bots/${bot.id}/config`, { items }, who);
  return bot.id as string;
}

type Reply = { session: { id: string; botId: string }; messages: { sender: string; content: string }[] };
const start = (botId: string) => call('POST', `/v1/bots/${botId}/sessions`, {}) as Promise<Reply>;
const say = (sessionId: string, text: string) =>
  call('POST', `/v1/sessions/${sessionId}/messages`, { text }) as Promise<Reply>;
const texts = (reply: Reply) => reply.messages.filter((m) => m.sender !== 'user').map((m) => m.content);
/** The system prompt of the last request the LLM server received whose user text was `text`. */
const systemFor = (text: string) =>
  llm.requests
    .findLast((r) => r.body.messages.at(-1)?.content === text)
    ?.body.messages.find((m) => m.role === 'system')?.content;

describe('multi-agent', () => {
  it('DELEGATE asks the other bot (its own prompt), ADD BOT routes trigger words to it, BROADCAST asks every added bot', async () => {
    await botWith('Sales Desk', null, { 'system-prompt': 'You are the sales desk.' });
    const main = await botWith(
      'Front',
      `answer = DELEGATE "What does plan X cost?" TO BOT "sales desk"
TALK "Sales says: " & answer
ADD BOT "Sales Desk" WITH TRIGGER "price, quote"
all = BROADCAST "hello team" TO BOTS
TALK all[0].bot & " -> " & all[0].answer`,
      { 'system-prompt': 'You are the front desk.' },
    );
    const started = await start(main);
    expect(texts(started)).toEqual([
      'Sales says: You said: What does plan X cost?.',
      'Sales Desk -> You said: hello team.',
    ]);
    expect(systemFor('What does plan X cost?')).toBe('You are the sales desk.');

    // A message that mentions a trigger word is the added bot's to answer; others stay the front's.
    expect(texts(await say(started.session.id, 'What is the price?'))).toEqual([
      'You said: What is the price?.',
    ]);
    expect(systemFor('What is the price?')).toBe('You are the sales desk.');
    await say(started.session.id, 'Something else, pricey');
    expect(systemFor('Something else, pricey')).toBe('You are the front desk.');
  });

  it('TRANSFER CONVERSATION hands the session to the other bot and ends the script', async () => {
    const support = await botWith('Support', null, { 'system-prompt': 'You are support.' });
    const main = await botWith(
      'Router',
      'TALK "Passing you on"\nTRANSFER CONVERSATION TO "Support"\nTALK "never"',
      {},
    );
    const started = await start(main);
    expect(texts(started)).toEqual(['Passing you on']);
    const [row] = await h.admin`select bot_id from conversation.sessions where id = ${started.session.id}`;
    expect(row?.bot_id).toBe(support);
    const next = await say(started.session.id, 'My printer is broken');
    expect(next.session.botId).toBe(support);
    expect(systemFor('My printer is broken')).toBe('You are support.');
  });

  it("TRANSFER CONVERSATION leaves the first bot's headers, system prompt, model and added bots behind", async () => {
    const vendor = await botWith('Vendor', null, { 'system-prompt': 'You are the vendor.' });
    await call('PUT', `/v1/bots/${vendor}/tools/probe`, { script: `r = GET "${probeUrl}"\nRETURN r.ok` });
    await botWith('Helper', null, {});
    const main = await botWith(
      'Keyholder',
      `SET HEADER "X-Api-Key", "a-secret-key"
BEGIN SYSTEM PROMPT
You are the keyholder.
END SYSTEM PROMPT
USE MODEL "extract"
SET CONTEXT "keyholder notes"
ADD SUGGESTION "k" AS "Keys"
ADD BOT "Helper" WITH TRIGGER "help"
TRANSFER CONVERSATION TO "Vendor"`,
      {},
    );
    const started = await start(main);
    const [row] = await h.admin`select context from conversation.sessions where id = ${started.session.id}`;
    expect(row?.context).toEqual({ dialog: null, kbs: [], turn: 0 });

    // The vendor's own tool, run in the session, does not send the keyholder's API key.
    probed.length = 0;
    const ran = await call('POST', `/v1/sessions/${started.session.id}/tools/probe`, { args: {} });
    expect(ran.ok).toBe(true);
    expect(probed).toHaveLength(1);
    expect(probed[0]?.['x-api-key']).toBeUndefined();

    // The vendor answers with its own prompt and model, and a trigger word is no longer the helper's.
    await say(started.session.id, 'Can you help with my order?');
    const request = llm.requests.findLast(
      (r) => r.body.messages.at(-1)?.content === 'Can you help with my order?',
    );
    expect(request?.body.model).toBe('echo');
    expect(systemFor('Can you help with my order?')).toBe('You are the vendor.');
  });

  it("a bot that DELEGATE or ADD BOT brings in answers with its own prompt and is not offered the first bot's tools", async () => {
    await botWith('Quotes', null, { 'system-prompt': 'You quote.' });
    const main = await botWith(
      'Desk',
      `BEGIN SYSTEM PROMPT
You are the desk, with its secrets.
END SYSTEM PROMPT
USE TOOL "lookup"
ADD BOT "Quotes" WITH TRIGGER "quote"
answer = DELEGATE "quote me first" TO BOT "Quotes"
TALK answer`,
      {},
    );
    await call('PUT', `/v1/bots/${main}/tools/lookup`, { script: `r = GET "${probeUrl}"\nRETURN r.ok` });
    const started = await start(main);
    expect(texts(started)).toEqual(['You said: quote me first.']);
    /** The functions the LLM was offered with the request whose user text was `text`. */
    const offered = (text: string) =>
      (llm.requests.findLast((r) => r.body.messages.at(-1)?.content === text)?.body.tools ?? []).map(
        (t) => t.function.name,
      );
    expect(offered('quote me first')).toEqual([]);
    expect(systemFor('quote me first')).toBe('You quote.');

    expect(texts(await say(started.session.id, 'A quote, please'))).toEqual(['You said: A quote, please.']);
    expect(offered('A quote, please')).toEqual([]);
    expect(systemFor('A quote, please')).toBe('You quote.');
    // The desk itself still has its tool.
    await say(started.session.id, 'Anything else?');
    expect(offered('Anything else?')).toEqual(['lookup']);
    expect(systemFor('Anything else?')).toBe('You are the desk, with its secrets.');
  });

  it("a stranger's bot is refused by id and by name, as one that does not exist; nothing is asked of it", async () => {
    const secret = await botWith('Secret Bot', null, { 'system-prompt': 'stranger' }, stranger);
    const before = llm.requests.length;
    for (const script of [
      `x = DELEGATE "hi" TO BOT "${secret}"`,
      'x = DELEGATE "hi" TO BOT "Secret Bot"',
      `ADD BOT "${secret}" WITH TRIGGER "hi"`,
      `TRANSFER CONVERSATION TO "${secret}"`,
      `x = DELEGATE "hi" TO BOT "${crypto.randomUUID()}"`,
    ]) {
      const { session, messages } = await start(await botWith('Asker', script, {}));
      expect(messages.at(-1)?.content).toMatch(/there is no bot ".+" that you may use/);
      const [row] = await h.admin`select bot_id from conversation.sessions where id = ${session.id}`;
      expect(row?.bot_id).not.toBe(secret);
    }
    expect(llm.requests.length).toBe(before);
  });
});

describe('AI helpers', () => {
  const schema = `{"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "number"}}, "required": ["name", "age"]}`;

  it('SAVE FROM UNSTRUCTURED reads the text into JSON for the schema, which the script stores', async () => {
    const botId = await botWith(
      'Leads',
      `schema = ${schema}
lead = SAVE FROM UNSTRUCTURED "Hi there, name: Ana Silva, age: 31, from Lisbon", schema
SAVE "leads", lead.name, lead.age
TALK lead.name & " is " & lead.age`,
      { 'llm-model': 'extract' },
    );
    expect(texts(await start(botId))).toEqual(['Ana Silva is 31']);
    const rows = await h.admin`select r.data from conversation.bot_table_rows r where r.bot_id = ${botId}`;
    expect(rows.map((r) => r.data)).toEqual([{ name: 'Ana Silva', age: 31 }]);
    const request = llm.requests.findLast((r) => r.body.model === 'extract');
    expect(request?.body.messages[0]?.content).toContain('"required":["name","age"]');
  });

  it('an answer that does not fit the schema stops the script saying why, and nothing is stored', async () => {
    const botId = await botWith(
      'Leads 2',
      `lead = SAVE FROM UNSTRUCTURED "name: Rui and nothing else", ${schema}
SAVE "leads", lead.name`,
      { 'llm-model': 'extract' },
    );
    const { messages } = await start(botId);
    expect(messages.at(-1)?.content).toMatch(
      /SAVE FROM UNSTRUCTURED failed: the model's answer does not fit the schema: age/,
    );
    expect(await h.admin`select 1 from conversation.bot_table_rows where bot_id = ${botId}`).toHaveLength(0);
    const notSchema = await start(await botWith('Leads 3', 'x = SAVE FROM UNSTRUCTURED "a", "b"', {}));
    expect(notSchema.messages.at(-1)?.content).toContain('needs a JSON Schema object');
  });
});
