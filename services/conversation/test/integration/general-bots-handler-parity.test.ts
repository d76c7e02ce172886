import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rlsContext } from '@conduit/auth';
import { createDatabase, withActor } from '@conduit/db';
import { startWorkerProcess } from '@conduit/runtime';
import { commandRunnersFor, sandboxRefusals } from '@conduit/sandbox';
import { createLogger } from '@conduit/service-kit';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { offerScriptKeywords } from '../../src/domain/bots/compile-script.js';
import { conversationService } from '../../src/service.js';
import { type ConversationHarness, startConversationHarness } from '../fixtures/conversation-harness.js';
import { startOpenAiServer } from '../fixtures/openai-server.js';

// What issue #19 left over for a bot's ON and WEBHOOK scripts and its sessions, through the service
// on real Postgres, Redis and NATS with a real OpenAI-compatible server: SET HEADER's headers (and
// the dialog's variables) sealed in the session row, the handler keywords that make sense without a
// chat (LLM, SAVE FROM UNSTRUCTURED, SEND MAIL) and the refusal of the rest when the script is saved,
// and each handler run recorded where the bot's managers, and nobody else, read it.

let h: ConversationHarness;
let worker: { close(): Promise<void> } | undefined;
let llm: Awaited<ReturnType<typeof startOpenAiServer>>;
/** Answers the X-Api-Key header it received, as JSON. */
let echo: Server;
let echoUrl: string;
type Minted = Awaited<ReturnType<ConversationHarness['tokens']['mint']>>;
let owner: Minted;
let stranger: Minted;
const orgId = crypto.randomUUID();
const teamId = crypto.randomUUID();

beforeAll(async () => {
  llm = await startOpenAiServer();
  echo = createServer((req, res) => {
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ key: req.headers['x-api-key'] }));
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}/echo`;
  h = await startConversationHarness({ env: { SCRIPT_HTTP_ALLOW: '127.0.0.0/8' } });
  if (conversationService.worker)
    worker = await startWorkerProcess(conversationService, {
      env: h.env,
      log: createLogger({
        service: 'conversation-worker-test',
        level: process.env.TEST_LOG_LEVEL ?? 'silent',
      }),
    });
  owner = await h.tokens.mint({
    orgId,
    teams: { [teamId]: 'owner' },
    perms: ['org.manage', 'bots.read', 'bots.write'],
  });
  stranger = await h.tokens.mint({ orgId: crypto.randomUUID(), perms: ['bots.read', 'bots.write'] });
  const provider = await call('POST', '/v1/providers', { name: 'Local', baseUrl: llm.url, apiKey: 'sk-1' });
  for (const name of ['echo', 'extract']) await call('POST', '/v1/models', { providerId: provider.id, name });
});
afterAll(async () => {
  await worker?.close();
  await h?.close();
  await llm?.close();
  echo?.closeAllConnections();
  await new Promise((resolve) => echo?.close(resolve));
});

async function call(method: string, url: string, payload?: object, who: Minted = owner) {
  const res = await h.app.inject({
    method: method as 'GET',
    url,
    headers: who.headers,
    ...(payload ? { payload } : {}),
  });
  if (res.statusCode >= 300) throw new Error(`${method} ${url} -> ${res.statusCode} ${res.body}`);
  return res.statusCode === 204 ? null : res.json();
}

async function botWith(script: string | null, config: Record<string, string> = {}, team?: string) {
  const bot = await call('POST', '/v1/bots', {
    name: 'Parity bot',
    script,
    ...(team ? { teamId: team } : {}),
  });
  const items = Object.entries(config).map(([key, value]) => ({ key, value }));
  if (items.length) await call('PUT', `/v1/bots/${bot.id}/config`, { items });
  return bot.id as string;
}
const putScript = (botId: string, name: string, script: string) =>
  h.app.inject({
    method: 'PUT',
    url: `/v1/bots/${botId}/tools/${name}`,
    headers: owner.headers,
    payload: { script },
  });

const rowsOf = async (botId: string, table: string) =>
  (
    await h.admin`select r.data from conversation.bot_table_rows r
      join conversation.bot_tables t on t.id = r.table_id
      where t.bot_id = ${botId} and t.name = ${table} order by r.created_at, r.id`
  ).map((r) => r.data as Record<string, unknown>);

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > until) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('SET HEADER in a dialog', () => {
  it("keeps the header across a HEAR with no header value (nor the dialog's variables) in plaintext in the session row", async () => {
    const botId = await botWith(`SET HEADER "X-Api-Key", "hk-sealed-4711"
token = "tok-" & "plain-9931"
HEAR name
r = GET "${echoUrl}"
TALK name & " " & r.key & " " & token`);
    const started = await call('POST', `/v1/bots/${botId}/sessions`, {});
    const sessionId = started.session.id as string;
    const [row] =
      await h.admin`select context::text as context from conversation.sessions where id = ${sessionId}`;
    expect(row?.context).toContain('sealedHttpHeaders');
    expect(row?.context).not.toMatch(/hk-sealed-4711|plain-9931|x-api-key/i);
    const reply = await call('POST', `/v1/sessions/${sessionId}/messages`, { text: 'Ana' });
    expect(reply.messages.at(-1).content).toBe('Ana hk-sealed-4711 tok-plain-9931');
    const [after] =
      await h.admin`select context::text as context from conversation.sessions where id = ${sessionId}`;
    expect(after?.context).not.toContain('hk-sealed-4711');
  });
});

describe('ON and WEBHOOK scripts', () => {
  it('an ON script calls the LLM and SAVE FROM UNSTRUCTURED with the bot model, and SEND MAIL is committed for the email service', async () => {
    // One bot reads leads with an extraction model; another mails a summary by its chat model.
    const reader = await botWith(null, { 'llm-model': 'extract' });
    const schema = `{"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "number"}}, "required": ["name", "age"]}`;
    const read = `ON INSERT OF "inbox"
lead = SAVE FROM UNSTRUCTURED row.text, ${schema}
SAVE "leads", lead.name, lead.age`;
    expect((await putScript(reader, 'read-lead', read)).statusCode).toBe(201);
    const mailer = await botWith(null, { 'llm-model': 'echo' });
    const mailing = `ON INSERT OF "leads"
BEGIN SYSTEM PROMPT
You summarize inbound leads.
END SYSTEM PROMPT
summary = LLM "lead " & row.name
SEND MAIL "sales@example.com", "New lead " & row.name, summary
PRINT "mailed " & row.name`;
    expect((await putScript(mailer, 'mail-lead', mailing)).statusCode).toBe(201);

    await call('POST', `/v1/bots/${reader}/tables/inbox/rows`, {
      data: { text: 'name: Rui Costa, age: 44' },
    });
    expect(
      await eventually(
        () => rowsOf(reader, 'leads'),
        (r) => r.length > 0,
      ),
    ).toEqual([{ name: 'Rui Costa', age: 44 }]);
    expect(llm.requests.findLast((r) => r.body.model === 'extract')?.body.messages[0]?.content).toContain(
      '"required":["name","age"]',
    );

    await call('POST', `/v1/bots/${mailer}/tables/leads/rows`, { data: { name: 'Ana' } });
    const mails = await eventually(
      () =>
        h.admin`select payload from conversation.outbox where subject = 'conversation.mail.requested'
          and payload -> 'data' ->> 'botId' = ${mailer}`,
      (r) => r.length > 0,
    );
    expect(mails).toHaveLength(1);
    const mail = (mails[0]!.payload as { data: Record<string, unknown> }).data;
    expect(mail).toEqual({
      sessionId: null,
      botId: mailer,
      userId: owner.userId,
      to: ['sales@example.com'],
      subject: 'New lead Ana',
      body: 'You said: lead Ana.',
    });
    // The LLM call went to the bot's model with the script's system prompt, charged to the owner.
    const asked = llm.requests.findLast((r) => r.body.messages.at(-1)?.content === 'lead Ana');
    expect(asked?.body.model).toBe('echo');
    expect(asked?.body.messages[0]?.content).toBe('You summarize inbound leads.');
    expect(JSON.stringify(h.usage.calls)).toContain(owner.userId);
  });

  it('keywords that need a chat or a user do not compile in an ON or WEBHOOK script, saying why; a dialog tool keeps them', async () => {
    const botId = await botWith(null);
    for (const [source, expected] of [
      [
        'ON INSERT OF "orders"\nHEAR answer',
        /line 2, column 1: HEAR does not apply to an ON or WEBHOOK script/,
      ],
      [
        'WEBHOOK "hook"\nREMEMBER "k", 1',
        /REMEMBER does not apply to an ON or WEBHOOK script: it acts as the bot's owner/,
      ],
      ['WEBHOOK "other"\nx = DELEGATE "hi" TO BOT "b"', /DELEGATE TO BOT does not apply/],
      ['ON "orders"\nADD SUGGESTION "a" AS "b"', /ADD SUGGESTION does not apply/],
    ] as const) {
      const res = await putScript(botId, `h${Math.abs(source.length)}`, source);
      expect(res.statusCode).toBe(422);
      expect(res.json().detail).toMatch(expected);
    }
    expect(await h.admin`select 1 from conversation.basic_tools where bot_id = ${botId}`).toHaveLength(0);
    expect((await putScript(botId, 'ask', 'PARAM q AS STRING\nREMEMBER "q", q\nHEAR more')).statusCode).toBe(
      201,
    );
  });

  it("records each run (status, error, output lines, times) for the bot's managers only", async () => {
    const botId = await botWith(null, {}, teamId);
    expect(
      (await putScript(botId, 'count', 'ON INSERT OF "orders"\nPRINT "order " & row.id\nx = 1 / row.n'))
        .statusCode,
    ).toBe(201);
    expect(
      (
        await putScript(
          botId,
          'hook',
          'WEBHOOK "ping"\nTALK "pong " & params.n\nx = 1 / params.n\nRETURN {"ok": TRUE}',
        )
      ).statusCode,
    ).toBe(201);
    await call('POST', `/v1/bots/${botId}/tables/orders/rows`, { data: { id: 'A', n: 0 } });
    await call('POST', `/v1/bots/${botId}/tables/orders/rows`, { data: { id: 'B', n: 2 } });
    const ok = await h.app.inject({ method: 'GET', url: `/v1/public/bots/${botId}/webhooks/ping?n=1` });
    expect(ok.statusCode).toBe(200);
    const failed = await h.app.inject({ method: 'GET', url: `/v1/public/bots/${botId}/webhooks/ping?n=0` });
    expect(failed.statusCode).toBe(422);
    expect(failed.json().detail).toBe(
      "The webhook's script stopped with an error; its owner can find why in the script's runs.",
    );

    // A run is on record from its start: wait until both have ended.
    const runs = await eventually(
      () => call('GET', `/v1/bots/${botId}/tools/count/runs`),
      (page) => page.items.filter((run: { status: string }) => run.status !== 'running').length >= 2,
    );
    expect(runs.items).toHaveLength(2);
    const [newest, oldest] = runs.items;
    expect(oldest).toMatchObject({ kind: 'on', status: 'failed', output: ['order A'] });
    expect(oldest.error).toMatch(/line 3, column \d+: .*divi/i);
    expect(oldest.eventId).toEqual(expect.any(String));
    expect(newest).toMatchObject({ kind: 'on', status: 'succeeded', error: null, output: ['order B'] });
    expect(Date.parse(newest.finishedAt)).toBeGreaterThanOrEqual(Date.parse(newest.startedAt));

    const hookRuns = await call('GET', `/v1/bots/${botId}/tools/hook/runs?limit=1`);
    expect(hookRuns.items).toEqual([
      expect.objectContaining({ kind: 'webhook', status: 'failed', eventId: null, output: ['pong 0'] }),
    ]);
    expect(hookRuns.nextCursor).toEqual(expect.any(String));
    const next = await call('GET', `/v1/bots/${botId}/tools/hook/runs?limit=1&cursor=${hookRuns.nextCursor}`);
    expect(next.items).toEqual([expect.objectContaining({ status: 'succeeded', output: ['pong 1'] })]);

    // Who else asks: a stranger and a stranger's token get the 404 of a bot that does not exist, a
    // team viewer may see the bot but not its runs, no token is a 401, a bad cursor or name a 400.
    const as = (
      who: { headers: Record<string, string> } | null,
      url = `/v1/bots/${botId}/tools/count/runs`,
    ) => h.app.inject({ method: 'GET', url, headers: who?.headers ?? {} });
    expect((await as(stranger)).statusCode).toBe(404);
    const viewer = await h.tokens.mint({ orgId, teams: { [teamId]: 'viewer' }, perms: ['bots.read'] });
    expect((await as(viewer)).statusCode).toBe(403);
    expect((await as(null)).statusCode).toBe(401);
    expect((await as(owner, `/v1/bots/${botId}/tools/count/runs?cursor=nope!`)).statusCode).toBe(400);
    expect((await as(owner, `/v1/bots/${botId}/tools/no;such/runs`)).statusCode).toBe(400);
    expect((await as(owner, `/v1/bots/${botId}/tools/nosuch/runs`)).statusCode).toBe(404);

    // Row-level security agrees: as the stranger or the viewer, the table has no rows of this bot.
    const runtime = createDatabase(h.database.appUrl, { max: 1 });
    try {
      for (const who of [stranger, viewer, owner]) {
        const verified = await h.deps.verifier!.verify(who.headers.authorization.slice(7));
        const seen = await withActor(runtime.db, rlsContext(verified!.actor), (tx) =>
          tx.execute(sql`select id from conversation.bot_handler_runs where bot_id = ${botId}`),
        );
        expect(seen.length, who === owner ? 'owner' : 'other').toBe(who === owner ? 4 : 0);
      }
    } finally {
      await runtime.close();
    }
  });
});

describe('RUN JAVASCRIPT where the server cannot load its isolate', () => {
  it('fails to compile, saying why; where it loads, it runs', async () => {
    const botId = await botWith(null);
    // What sandboxRefusals() answers in a process where isolated-vm does not load (see
    // @conduit/sandbox's javascript-unavailable test, which runs one).
    offerScriptKeywords(
      { commandRunners: commandRunnersFor(h.env) },
      {
        runJavaScript: 'is unavailable on this server: the isolated-vm addon could not be loaded (not built)',
      },
    );
    try {
      const refused = await putScript(
        botId,
        'calc',
        'WEBHOOK "calc"\nx = RUN JAVASCRIPT "6 * 7"\nRETURN {"v": x}',
      );
      expect(refused.statusCode).toBe(422);
      expect(refused.json().detail).toMatch(
        /line 2, column \d+: RUN JAVASCRIPT is unavailable on this server: the isolated-vm addon could not be loaded/,
      );
      const dialog = await h.app.inject({
        method: 'POST',
        url: '/v1/bots',
        headers: owner.headers,
        payload: { name: 'js', script: 'TALK RUN JAVASCRIPT "1"' },
      });
      expect(dialog.statusCode).toBe(422);
    } finally {
      offerScriptKeywords({ commandRunners: commandRunnersFor(h.env) }, sandboxRefusals());
    }
    expect(sandboxRefusals()).toEqual({});
    expect(
      (await putScript(botId, 'calc', 'WEBHOOK "calc"\nx = RUN JAVASCRIPT "6 * 7"\nRETURN {"v": x}'))
        .statusCode,
    ).toBe(201);
    const answered = await h.app.inject({ method: 'GET', url: `/v1/public/bots/${botId}/webhooks/calc` });
    expect(answered.json()).toEqual({ v: 42 });
  });
});
