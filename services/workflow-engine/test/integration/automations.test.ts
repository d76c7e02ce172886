import { randomUUID } from 'node:crypto';
import { serveRpc } from '@conduit/bus';
import { conversationRpc, knowledgeRpc } from '@conduit/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveConversationBots } from '../fixtures/conversation-bots.js';
import { type HttpSink, startHttpSink } from '../fixtures/http-sink.js';
import { bearer, startWorkflowHarness, type WorkflowHarness } from '../fixtures/workflow-harness.js';

// Bot automations: kept in step with the bot's SET SCHEDULE, managed only by the bot's owner (or
// its team's owners and admins), each run a row with its output and error, one at a time.

type User = { token: string; userId: string };
type Run = {
  id: string;
  status: string;
  attempt: number;
  output: string[];
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
  trigger: string;
};

let h: WorkflowHarness;
let sink: HttpSink;
let conversation: ReturnType<typeof serveConversationBots>;
const teamId = randomUUID();
/** The integrations catalog's HTTP bearer-token entry (seeded). */
const HTTP_BEARER = '01935c2e-0000-7000-8000-000000000001';
let owner: User;
let teamAdmin: User;
let member: User;
let stranger: User;

beforeAll(async () => {
  [h, sink] = await Promise.all([startWorkflowHarness(), startHttpSink()]);
  conversation = serveConversationBots(h);
  owner = await h.tokens.mint({ teams: { [teamId]: 'owner' } });
  teamAdmin = await h.tokens.mint({ teams: { [teamId]: 'admin' } });
  member = await h.tokens.mint({ teams: { [teamId]: 'member' } });
  stranger = await h.tokens.mint();
}, 60_000);
afterAll(async () => {
  await conversation?.stop();
  await Promise.all([h?.close(), sink?.close()]);
}, 30_000);

const call = (user: User | null, method: string, url: string, payload?: object) =>
  h.app.inject({
    method: method as 'GET',
    url,
    headers: user ? bearer(user.token) : {},
    ...(payload ? { payload } : {}),
  });

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const automationsOf = async (user: User, botId: string) => {
  const res = await call(user, 'GET', `/v1/bots/${botId}/automations`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items as {
    id: string;
    cron: string;
    schedule: string;
    source: string;
    script: string;
    lastRunAt: string | null;
  }[];
};

const runsOf = async (user: User, botId: string, automationId: string) =>
  (await call(user, 'GET', `/v1/bots/${botId}/automations/${automationId}/runs?limit=100`)).json()
    .items as Run[];

const finishedRun = (user: User, botId: string, automationId: string, runId: string) =>
  until(`run ${runId}`, async () =>
    (await runsOf(user, botId, automationId)).find((run) => run.id === runId && run.status !== 'running'),
  );

describe('bot automations', () => {
  it("follow the bot's SET SCHEDULE: saving creates, moves and removes its automation", async () => {
    const bot = await conversation.save({
      ownerUserId: owner.userId,
      script: 'SET SCHEDULE "every 1 minute"\nTALK "tick"',
    });
    const [made] = await until('the automation', async () => {
      const list = await automationsOf(owner, bot.id);
      return list.length ? list : undefined;
    });
    expect(made).toMatchObject({ source: 'script', schedule: 'every 1 minute', cron: '* * * * *' });
    expect(await h.deps.jobs.queue.getJobScheduler(`automation-${made!.id}`)).toMatchObject({
      pattern: '* * * * *',
    });

    await conversation.save({
      id: bot.id,
      ownerUserId: owner.userId,
      script: 'SET SCHEDULE "every monday at 9am"\nTALK "weekly"',
    });
    const moved = await until('the move', async () => {
      const [row] = await automationsOf(owner, bot.id);
      return row?.cron === '0 9 * * 1' ? row : undefined;
    });
    expect(moved.id).toBe(made!.id);
    expect(moved.script).toContain('weekly');
    expect((await h.deps.jobs.queue.getJobScheduler(`automation-${made!.id}`))?.pattern).toBe('0 9 * * 1');

    await conversation.save({ id: bot.id, ownerUserId: owner.userId, script: 'TALK "no schedule now"' });
    await until('the removal', async () =>
      (await automationsOf(owner, bot.id)).length === 0 ? true : undefined,
    );
    expect(await h.deps.jobs.queue.getJobScheduler(`automation-${made!.id}`)).toBeFalsy();

    await conversation.save({
      id: bot.id,
      ownerUserId: owner.userId,
      script: 'SET SCHEDULE "daily at 18:30"\nTALK "x"',
    });
    await until('the new one', async () =>
      (await automationsOf(owner, bot.id)).length === 1 ? true : undefined,
    );
    await conversation.remove(bot.id);
    await until('the deletion', async () =>
      (await h.admin`select count(*)::int as n from workflow.system_automations where bot_id = ${bot.id}`)[0]!
        .n === 0
        ? true
        : undefined,
    );
  });

  it('made through the API take plain English or cron in a time zone; paused ones have no scheduler', async () => {
    const bot = await conversation.save({ ownerUserId: owner.userId });
    const made = await call(owner, 'POST', `/v1/bots/${bot.id}/automations`, {
      name: 'morning',
      schedule: 'every day at 9am',
      timezone: 'Asia/Tokyo',
      script: 'TALK "good morning"',
    });
    expect(made.statusCode, made.body).toBe(201);
    const automation = made.json();
    expect(automation).toMatchObject({
      schedule: 'every day at 9am',
      cron: '0 9 * * *',
      timezone: 'Asia/Tokyo',
      active: true,
      lastRunAt: null,
    });
    // 9:00 in Tokyo is 0:00 UTC, within the next day.
    const next = new Date(automation.nextRunAt);
    expect(next.getUTCHours()).toBe(0);
    expect(next.getTime() - Date.now()).toBeGreaterThan(0);
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(24 * 3600_000);
    const schedulerId = `automation-${automation.id}`;
    expect(await h.deps.jobs.queue.getJobScheduler(schedulerId)).toMatchObject({
      pattern: '0 9 * * *',
      tz: 'Asia/Tokyo',
    });

    const paused = await call(owner, 'PATCH', `/v1/bots/${bot.id}/automations/${automation.id}`, {
      active: false,
    });
    expect(paused.json()).toMatchObject({ active: false, nextRunAt: null });
    expect(await h.deps.jobs.queue.getJobScheduler(schedulerId)).toBeFalsy();
    const moved = await call(owner, 'PATCH', `/v1/bots/${bot.id}/automations/${automation.id}`, {
      active: true,
      schedule: '*/15 * * * *',
      timezone: 'UTC',
    });
    expect(moved.json()).toMatchObject({ active: true, cron: '*/15 * * * *', timezone: 'UTC' });
    expect(await h.deps.jobs.queue.getJobScheduler(schedulerId)).toMatchObject({
      pattern: '*/15 * * * *',
      tz: 'UTC',
    });
    const run = await finishedRun(
      owner,
      bot.id,
      automation.id,
      (await call(owner, 'POST', `/v1/bots/${bot.id}/automations/${automation.id}/run`)).json().runId,
    );
    expect(run).toMatchObject({ status: 'success', output: ['good morning'] });
    const [after] = await automationsOf(owner, bot.id);
    expect(after!.lastRunAt).toBe(run.finishedAt);
  });

  it('are managed by the bot owner and its team owners and admins only', async () => {
    const personal = await conversation.save({ ownerUserId: owner.userId });
    const team = await conversation.save({ ownerUserId: member.userId, teamId });
    const body = { name: 'nightly', schedule: '0 3 * * *', script: 'TALK "hi"' };
    expect((await call(null, 'POST', `/v1/bots/${personal.id}/automations`, body)).statusCode).toBe(401);
    expect((await call(stranger, 'POST', `/v1/bots/${personal.id}/automations`, body)).statusCode).toBe(404);
    expect((await call(teamAdmin, 'POST', `/v1/bots/${personal.id}/automations`, body)).statusCode).toBe(404);
    expect((await call(owner, 'POST', `/v1/bots/${personal.id}/automations`, body)).statusCode).toBe(201);
    // In the team, the member who made the bot is not an owner or admin of the team.
    expect((await call(member, 'POST', `/v1/bots/${team.id}/automations`, body)).statusCode).toBe(403);
    expect((await call(member, 'GET', `/v1/bots/${team.id}/automations`)).statusCode).toBe(403);
    const made = await call(teamAdmin, 'POST', `/v1/bots/${team.id}/automations`, body);
    expect(made.statusCode, made.body).toBe(201);
    expect(made.json()).toMatchObject({
      source: 'api',
      ownerUserId: member.userId,
      teamId,
      nextRunAt: expect.any(String),
    });
    const id = made.json().id;
    expect((await call(owner, 'GET', `/v1/bots/${team.id}/automations/${id}`)).statusCode).toBe(200);
    expect((await call(stranger, 'GET', `/v1/bots/${team.id}/automations/${id}`)).statusCode).toBe(404);
    expect((await call(member, 'DELETE', `/v1/bots/${team.id}/automations/${id}`)).statusCode).toBe(403);
    // Another bot's automation id under this bot is not found.
    expect((await call(owner, 'GET', `/v1/bots/${personal.id}/automations/${id}`)).statusCode).toBe(404);
    // Row-level security agrees: as the member, no team automation is visible at all.
    const [seen] = await h.admin.begin(async (sql) => {
      await sql`set local role workflow_app`;
      await sql`select set_config('app.user_id', ${member.userId}, true), set_config('app.team_ids', ${teamId}, true)`;
      return sql`select count(*)::int as n from workflow.system_automations where bot_id = ${team.id}`;
    });
    expect(seen!.n).toBe(0);
    expect((await call(owner, 'DELETE', `/v1/bots/${team.id}/automations/${id}`)).statusCode).toBe(204);
  });

  it('run as the bot: output lines, bot memory, and a script error recorded on the run', async () => {
    const bot = await conversation.save({ ownerUserId: owner.userId });
    const script = [
      'count = GET BOT MEMORY "count"',
      'IF ISEMPTY(count) THEN',
      '  count = 0',
      'END IF',
      'count = count + 1',
      'SET BOT MEMORY "count", count',
      'TALK "run " & count',
      'answer = GET "' + sink.url + '/status"',
      'PRINT "sink said " & answer.ok',
    ].join('\n');
    const created = await call(owner, 'POST', `/v1/bots/${bot.id}/automations`, {
      name: 'counter',
      schedule: '0 3 * * *',
      script,
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id;
    for (const expected of ['run 1', 'run 2']) {
      const asked = await call(owner, 'POST', `/v1/bots/${bot.id}/automations/${id}/run`);
      expect(asked.statusCode, asked.body).toBe(202);
      const run = await finishedRun(owner, bot.id, id, asked.json().runId);
      expect(run, JSON.stringify(run)).toMatchObject({ status: 'success', trigger: 'manual', error: null });
      expect(run.output).toEqual([expected, 'sink said true']);
    }
    expect(conversation.memory.get(`${bot.id}:count`)).toBe(2);

    const broken = await call(owner, 'PATCH', `/v1/bots/${bot.id}/automations/${id}`, {
      script: 'TALK "before"\nx = 1 / 0\nTALK "after"',
    });
    expect(broken.statusCode).toBe(200);
    const asked = await call(owner, 'POST', `/v1/bots/${bot.id}/automations/${id}/run`);
    const run = await finishedRun(owner, bot.id, id, asked.json().runId);
    expect(run.status).toBe('error');
    expect(run.output).toEqual(['before']);
    expect(run.error).toMatch(/line 2/);
    // Recorded, not thrown: the job did not fail.
    expect((await h.admin`select count(*)::int as n from workflow.failed_jobs`)[0]!.n).toBe(0);
    const [automation] = await automationsOf(owner, bot.id);
    expect(automation).toMatchObject({ id });
  });

  it('USE CONNECTION: GET and POST under its base URL carry its authorization, others and strangers do not', async () => {
    const bot = await conversation.save({ ownerUserId: owner.userId });
    const token = `tok-${randomUUID()}`;
    const connect = async (user: User) => {
      const res = await call(user, 'POST', '/v1/integrations/connections', {
        integrationId: HTTP_BEARER,
        name: `CRM ${randomUUID().slice(0, 6)}`,
        config: { baseUrl: `${sink.url}/crm`, token },
      });
      expect(res.statusCode, res.body).toBe(201);
      return res.json().id as string;
    };
    const mine = await connect(owner);
    const run = async (script: string) => {
      const created = await call(owner, 'POST', `/v1/bots/${bot.id}/automations`, {
        name: `connection ${randomUUID().slice(0, 6)}`,
        schedule: '0 3 * * *',
        script,
      });
      expect(created.statusCode, created.body).toBe(201);
      const asked = await call(owner, 'POST', `/v1/bots/${bot.id}/automations/${created.json().id}/run`);
      return finishedRun(owner, bot.id, created.json().id, asked.json().runId);
    };
    const seen = sink.requests.length;
    const done = await run(
      [
        `USE CONNECTION "${mine}"`,
        `a = GET "${sink.url}/crm/contacts"`,
        `b = POST "${sink.url}/crm/contacts", "x"`,
        `c = GET "${sink.url}/elsewhere"`,
        'TALK "ok"',
      ].join('\n'),
    );
    expect(done, JSON.stringify(done)).toMatchObject({ status: 'success', output: ['ok'] });
    const sent = sink.requests.slice(seen).map((request) => [request.path, request.headers.authorization]);
    expect(sent).toEqual([
      ['/crm/contacts', `Bearer ${token}`],
      ['/crm/contacts', `Bearer ${token}`],
      ['/elsewhere', undefined],
    ]);
    // The POST is known by the run and its place in it, the same on a retried attempt.
    const post = sink.requests.slice(seen).find((request) => request.method === 'POST')!;
    expect(post.idempotencyKey).toMatch(/^automation:[0-9a-f-]{36}:post:0$/);
    // The token is in no run's output or error.
    const runs = await h.admin`select output, error from workflow.automation_runs where automation_id in
      (select id from workflow.system_automations where bot_id = ${bot.id})`;
    expect(JSON.stringify(runs)).not.toContain(token);

    const theirs = await connect(stranger);
    const refused = await run(`USE CONNECTION "${theirs}"\nTALK "never"`);
    expect(refused).toMatchObject({ status: 'error', output: [] });
    expect(refused.error).toMatch(/not one this bot's owner may use/);
    const byName = await run('USE CONNECTION "CRM"');
    expect(byName.error).toMatch(/takes a connection's id/);
  });

  it('stop with a message naming the keyword where a General Bots keyword needs a user or a bot table', async () => {
    const bot = await conversation.save({ ownerUserId: owner.userId });
    const cases = [
      [
        'TALK "a"\nADD SUGGESTION "k" AS "text"',
        /ADD SUGGESTION is not available in an automation: it runs with no user/,
      ],
      [
        'TALK "a"\nREMEMBER "k", 1, "1 day"',
        /REMEMBER is not available in an automation: it runs with no user/,
      ],
      ['TALK "a"\nx = USER FACTS()', /USER FACTS is not available in an automation/],
      ['TALK "a"\nemail = "a@b.co"\nSAVE "leads", email', /SAVE is not available in an automation yet/],
      ['TALK "a"\nrows = FIND "leads", "age>30"', /FIND on a table is not available in an automation yet/],
    ] as const;
    const created = await call(owner, 'POST', `/v1/bots/${bot.id}/automations`, {
      name: 'keywords',
      schedule: '0 3 * * *',
      script: cases[0][0],
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id;
    for (const [script, message] of cases) {
      const patched = await call(owner, 'PATCH', `/v1/bots/${bot.id}/automations/${id}`, { script });
      expect(patched.statusCode, patched.body).toBe(200);
      const asked = await call(owner, 'POST', `/v1/bots/${bot.id}/automations/${id}/run`);
      const run = await finishedRun(owner, bot.id, id, asked.json().runId);
      expect(run.status, script).toBe('error');
      expect(run.output).toEqual(['a']);
      expect(run.error).toMatch(message);
    }
    // Keywords that need a service Conduit does not run do not even compile.
    const refused = await call(owner, 'PATCH', `/v1/bots/${bot.id}/automations/${id}`, {
      script: 'x = WEATHER "Paris"',
    });
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain('WEATHER is refused');
  });

  it("BEGIN SYSTEM PROMPT is the system text of the run's LLM calls; BEGIN TALK one output line", async () => {
    const asked: { system?: string; prompt: string }[] = [];
    const llm = serveRpc(h.bus, conversationRpc.complete, 'conversation', async (request) => {
      asked.push({ ...(request.system !== undefined && { system: request.system }), prompt: request.prompt });
      return { text: `answer to ${request.prompt}`, model: 'echo', tokens: 3 };
    });
    try {
      const bot = await conversation.save({ ownerUserId: owner.userId });
      const script = [
        'BEGIN SYSTEM PROMPT',
        `  You summarize sales for \${"ACME"}.`,
        'END SYSTEM PROMPT',
        'answer = LLM "Summarize the week"',
        'BEGIN TALK',
        '  **Digest**',
        `  \${answer}`,
        'END TALK',
      ].join('\n');
      const created = await call(owner, 'POST', `/v1/bots/${bot.id}/automations`, {
        name: 'digest',
        schedule: '0 3 * * *',
        script,
      });
      expect(created.statusCode, created.body).toBe(201);
      const asked2 = await call(owner, 'POST', `/v1/bots/${bot.id}/automations/${created.json().id}/run`);
      const run = await finishedRun(owner, bot.id, created.json().id, asked2.json().runId);
      expect(run, JSON.stringify(run)).toMatchObject({ status: 'success', error: null });
      expect(run.output).toEqual(['**Digest**\nanswer to Summarize the week']);
      expect(asked).toEqual([{ system: 'You summarize sales for ACME.', prompt: 'Summarize the week' }]);
    } finally {
      await llm.stop();
    }
  });

  it("USE KB takes a name the bot's configuration maps, as a dialog does; FIND searches it as the owner", async () => {
    const searched: { userId: string; collectionIds?: string[]; query: string }[] = [];
    const knowledge = serveRpc(h.bus, knowledgeRpc.search, 'knowledge-base', async (request) => {
      searched.push({ userId: request.userId, collectionIds: request.collectionIds, query: request.query });
      return { hits: [] };
    });
    try {
      const bot = await conversation.save({ ownerUserId: owner.userId });
      const docs = randomUUID();
      const faq = randomUUID();
      conversation.settings.set(bot.id, new Map([['kb.product docs', docs]]));
      const made = await call(owner, 'POST', `/v1/bots/${bot.id}/automations`, {
        name: 'reader',
        schedule: '0 3 * * *',
        script: `USE KB "Product Docs"\nUSE KB "${faq}"\nhits = FIND "refund policy"\nTALK "searched"`,
      });
      expect(made.statusCode, made.body).toBe(201);
      const id = made.json().id;
      const runNow = async () =>
        finishedRun(
          owner,
          bot.id,
          id,
          (await call(owner, 'POST', `/v1/bots/${bot.id}/automations/${id}/run`)).json().runId,
        );
      const run = await runNow();
      expect(run, JSON.stringify(run)).toMatchObject({
        status: 'success',
        error: null,
        output: ['searched'],
      });
      expect(searched).toEqual([
        { userId: owner.userId, collectionIds: [docs, faq], query: 'refund policy' },
      ]);

      // A name the configuration does not map stops the run, saying how to map it.
      await call(owner, 'PATCH', `/v1/bots/${bot.id}/automations/${id}`, {
        script: 'TALK "before"\nUSE KB "Handbook"\nTALK "after"',
      });
      const unmapped = await runNow();
      expect(unmapped).toMatchObject({ status: 'error', output: ['before'] });
      expect(unmapped.error).toBe(
        'line 2: USE KB failed: unknown knowledge base "Handbook": map it in the bot configuration as kb.handbook = <collection id>',
      );
    } finally {
      await knowledge.stop();
    }
  });

  it('SAVE FROM UNSTRUCTURED reads text into JSON checked against the schema, with the owner model, keyed by the run', async () => {
    const asked: { system?: string; prompt: string; key?: string; userId: string }[] = [];
    const llm = serveRpc(h.bus, conversationRpc.complete, 'conversation', async (request) => {
      asked.push({
        ...(request.system !== undefined && { system: request.system }),
        prompt: request.prompt,
        ...(request.idempotencyKey !== undefined && { key: request.idempotencyKey }),
        userId: request.userId,
      });
      // A model that answers in a fence, as many do; "age" missing when the text has none.
      const age = /age: (\d+)/.exec(request.prompt)?.[1];
      return {
        text: `Here it is:\n\`\`\`json\n${JSON.stringify({ name: 'Ana Silva', ...(age ? { age: Number(age) } : {}) })}\n\`\`\``,
        model: 'extract',
        tokens: 9,
      };
    });
    try {
      const bot = await conversation.save({ ownerUserId: owner.userId });
      const schema =
        '{"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "number"}}, "required": ["name", "age"]}';
      const made = await call(owner, 'POST', `/v1/bots/${bot.id}/automations`, {
        name: 'reader',
        schedule: '0 3 * * *',
        script: `lead = SAVE FROM UNSTRUCTURED "name: Ana Silva, age: 31", ${schema}\nTALK lead.name & " is " & lead.age`,
      });
      expect(made.statusCode, made.body).toBe(201);
      const id = made.json().id;
      const runId = (await call(owner, 'POST', `/v1/bots/${bot.id}/automations/${id}/run`)).json().runId;
      const run = await finishedRun(owner, bot.id, id, runId);
      expect(run, JSON.stringify(run)).toMatchObject({
        status: 'success',
        error: null,
        output: ['Ana Silva is 31'],
      });
      expect(asked).toHaveLength(1);
      expect(asked[0]).toMatchObject({
        prompt: 'name: Ana Silva, age: 31',
        key: `automation:${runId}:unstructured:0`,
        userId: owner.userId,
      });
      expect(asked[0]?.system).toContain('"required":["name","age"]');

      // An answer that does not fit the schema stops the run saying where; nothing after it runs.
      await call(owner, 'PATCH', `/v1/bots/${bot.id}/automations/${id}`, {
        script: `lead = SAVE FROM UNSTRUCTURED "name: Ana Silva", ${schema}\nTALK "stored"`,
      });
      const misfit = await finishedRun(
        owner,
        bot.id,
        id,
        (await call(owner, 'POST', `/v1/bots/${bot.id}/automations/${id}/run`)).json().runId,
      );
      expect(misfit).toMatchObject({ status: 'error', output: [] });
      expect(misfit.error).toMatch(
        /^line 1: SAVE FROM UNSTRUCTURED failed: the model's answer does not fit the schema: age/,
      );
    } finally {
      await llm.stop();
    }
  });

  it('multi-agent keywords do not compile in an automation, saying why', async () => {
    const bot = await conversation.save({ ownerUserId: owner.userId });
    for (const [script, keyword] of [
      ['x = DELEGATE "hi" TO BOT "sales"', 'DELEGATE TO BOT'],
      ['TALK 1\nADD BOT "sales" WITH TRIGGER "price"', 'ADD BOT'],
      ['TRANSFER CONVERSATION TO "sales"', 'TRANSFER CONVERSATION'],
      ['all = BROADCAST "hi" TO BOTS', 'BROADCAST TO BOTS'],
    ] as const) {
      const res = await call(owner, 'POST', `/v1/bots/${bot.id}/automations`, {
        name: 'agents',
        schedule: '0 3 * * *',
        script,
      });
      expect(res.statusCode, res.body).toBe(422);
      const line = script.startsWith('TALK') ? 2 : 1;
      expect(res.json().errors[0].message).toMatch(
        new RegExp(
          `^line ${line}, column \\d+: ${keyword} does not apply to an automation: bots talk to bots inside a chat session`,
        ),
      );
    }
    expect(await automationsOf(owner, bot.id)).toEqual([]);
  });

  it("name each LLM call by the run, so a retried run's completion is neither asked nor charged twice", async () => {
    const keys: (string | undefined)[] = [];
    const llm = serveRpc(h.bus, conversationRpc.complete, 'conversation', async (request) => {
      keys.push(request.idempotencyKey);
      return { text: `answer ${keys.length}`, model: 'echo', tokens: 3 };
    });
    try {
      const bot = await conversation.save({ ownerUserId: owner.userId });
      const made = await call(owner, 'POST', `/v1/bots/${bot.id}/automations`, {
        name: 'summary',
        schedule: '0 3 * * *',
        script: 'a = LLM "first"\nb = LLM "second"\nSET BOT MEMORY "summary", b\nTALK b',
      });
      const id = made.json().id;
      conversation.state.memoryOutages = 1;
      const runId = (await call(owner, 'POST', `/v1/bots/${bot.id}/automations/${id}/run`)).json().runId;
      const run = await until('the run to succeed on its second attempt', async () =>
        (await runsOf(owner, bot.id, id)).find((r) => r.id === runId && r.status === 'success'),
      );
      expect(run.attempt).toBe(2);
      const first = `automation:${runId}:llm:0`;
      const second = `automation:${runId}:llm:1`;
      expect(keys).toEqual([first, second, first, second]);
    } finally {
      conversation.state.memoryOutages = 0;
      await llm.stop();
    }
  });

  it('try a run again, on the same row, when a service did not answer', async () => {
    const bot = await conversation.save({ ownerUserId: owner.userId });
    const made = await call(owner, 'POST', `/v1/bots/${bot.id}/automations`, {
      name: 'remembers',
      schedule: '0 3 * * *',
      script: 'SET BOT MEMORY "seen", "yes"\nTALK "stored"',
    });
    const id = made.json().id;
    conversation.state.memoryOutages = 1;
    const asked = await call(owner, 'POST', `/v1/bots/${bot.id}/automations/${id}/run`);
    const runId = asked.json().runId;
    const run = await until('the run to succeed on its second attempt', async () =>
      (await runsOf(owner, bot.id, id)).find((r) => r.id === runId && r.status === 'success'),
    );
    expect(run).toMatchObject({ attempt: 2, output: ['stored'], error: null });
    expect(await runsOf(owner, bot.id, id)).toHaveLength(1);

    // Down for every attempt: the run ends as an error naming the keyword's failure.
    conversation.state.memoryOutages = 100;
    try {
      const again = (await call(owner, 'POST', `/v1/bots/${bot.id}/automations/${id}/run`)).json().runId;
      const failed = await until('the run to fail for good', async () =>
        (await runsOf(owner, bot.id, id)).find(
          (r) => r.id === again && r.status === 'error' && r.attempt === 3,
        ),
      );
      expect(failed.error).toContain('conversation is restarting');
      expect(failed.output).toEqual([]);
    } finally {
      conversation.state.memoryOutages = 0;
    }
  });

  it('SEND MAIL asks the email service through workflow.mail.requested, as the bot owner', async () => {
    const bot = await conversation.save({ ownerUserId: owner.userId });
    const made = await call(owner, 'POST', `/v1/bots/${bot.id}/automations`, {
      name: 'mailer',
      schedule: '0 3 * * *',
      script:
        'SEND MAIL "ops@example.com; cto@example.com", "Nightly", "All good"\nSEND MAIL "nobody", "x", "y"',
    });
    const id = made.json().id;
    const runId = (await call(owner, 'POST', `/v1/bots/${bot.id}/automations/${id}/run`)).json().runId;
    const run = await finishedRun(owner, bot.id, id, runId);
    expect(run.status).toBe('error');
    expect(run.error).toMatch(/line 2: .*SEND MAIL/);
    const sent = await h.admin<{ payload: { actor: { userId: string }; data: Record<string, unknown> } }[]>`
      select payload from workflow.outbox where subject = 'workflow.mail.requested' and payload->'data'->>'runId' = ${runId}`;
    expect(sent).toHaveLength(1);
    expect(sent[0]!.payload.actor.userId).toBe(owner.userId);
    expect(sent[0]!.payload.data).toMatchObject({
      automationId: id,
      botId: bot.id,
      userId: owner.userId,
      to: ['ops@example.com', 'cto@example.com'],
      subject: 'Nightly',
      body: 'All good',
      // The run's first SEND MAIL: a retried run's is the same, so the email service sends it once.
      sequence: 0,
    });
  });

  it("SEND MAIL's attachments are the bot's files by path and its owner, never bytes", async () => {
    const bot = await conversation.save({ ownerUserId: owner.userId });
    const made = await call(owner, 'POST', `/v1/bots/${bot.id}/automations`, {
      name: 'reporter',
      schedule: '0 3 * * *',
      script:
        'SEND MAIL "ops@example.com", "Report", "Attached", ["reports/a.pdf", "reports/b.csv"]\nSEND MAIL "ops@example.com", "x", "y", "../etc/passwd"',
    });
    const id = made.json().id;
    const runId = (await call(owner, 'POST', `/v1/bots/${bot.id}/automations/${id}/run`)).json().runId;
    const run = await finishedRun(owner, bot.id, id, runId);
    expect(run.status).toBe('error');
    expect(run.error).toMatch(/line 2: .*"\.\." segment/);
    const sent = await h.admin<{ payload: { data: Record<string, unknown> } }[]>`
      select payload from workflow.outbox where subject = 'workflow.mail.requested' and payload->'data'->>'runId' = ${runId}`;
    expect(sent.map((row) => row.payload.data.attachments)).toEqual([
      { ownerUserId: owner.userId, teamId: null, paths: ['reports/a.pdf', 'reports/b.csv'] },
    ]);
  });

  it('reserve executions: none left is 402 for a run now', async () => {
    const bot = await conversation.save({ ownerUserId: owner.userId });
    const id = (
      await call(owner, 'POST', `/v1/bots/${bot.id}/automations`, {
        name: 'a',
        schedule: '0 3 * * *',
        script: 'TALK "x"',
      })
    ).json().id;
    const before = h.usage.calls.length;
    h.usage.refuse.set('executions', { remaining: 0, limit: 10 });
    try {
      const refused = await call(owner, 'POST', `/v1/bots/${bot.id}/automations/${id}/run`);
      expect(refused.statusCode).toBe(402);
    } finally {
      h.usage.refuse.delete('executions');
    }
    expect(h.usage.calls.slice(before).some((c) => c.items.some((i) => i.metric === 'executions'))).toBe(
      true,
    );
  });

  it('never run twice at once: a tick that finds a run going is recorded as skipped', async () => {
    const bot = await conversation.save({ ownerUserId: owner.userId });
    sink.delayMs = 2500;
    try {
      const made = await call(owner, 'POST', `/v1/bots/${bot.id}/automations`, {
        name: 'slow',
        schedule: '* * * * * *',
        script: `x = GET "${sink.url}/slow"\nTALK "done"`,
      });
      expect(made.statusCode, made.body).toBe(201);
      const id = made.json().id;
      const runs = await until(
        'a finished run and skipped ticks',
        async () => {
          const all = await runsOf(owner, bot.id, id);
          return all.some((r) => r.status === 'success') &&
            all.filter((r) => r.status === 'skipped').length >= 2
            ? all
            : undefined;
        },
        45_000,
      );
      await call(owner, 'PATCH', `/v1/bots/${bot.id}/automations/${id}`, { active: false });
      expect(runs.find((r) => r.status === 'skipped')!.error).toBe('the previous run was still going');
      const ran = runs.filter((r) => r.status !== 'skipped' && r.finishedAt);
      const spans = ran
        .map((r) => [Date.parse(r.startedAt), Date.parse(r.finishedAt!)] as const)
        .sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
    } finally {
      sink.delayMs = 0;
    }
  });

  it('answer bad input with 4xx', async () => {
    const bot = await conversation.save({ ownerUserId: owner.userId });
    const base = `/v1/bots/${bot.id}/automations`;
    const id = (
      await call(owner, 'POST', base, { name: 'a', schedule: '0 3 * * *', script: 'TALK "x"' })
    ).json().id;
    const cases: [string, string, object | undefined, number][] = [
      ['GET', '/v1/bots/not-a-uuid/automations', undefined, 400],
      ['POST', base, { name: 'a', schedule: 'whenever', script: 'TALK "x"' }, 422],
      ['POST', base, { name: 'a', schedule: '0 3 * * *', script: 'TALK "x' }, 422],
      ['POST', base, { name: 'a', schedule: '0 3 * * *', script: 'TALK "x"', timezone: 'Mars/Olympus' }, 422],
      ['POST', base, { name: 'a', schedule: '0 3 * * *', script: 'TALK "x"', extra: 1 }, 400],
      ['POST', base, { name: '', schedule: '0 3 * * *', script: 'x' }, 400],
      ['POST', base, { name: 'a\u0000', schedule: '0 3 * * *', script: 'x' }, 400],
      ['PATCH', `${base}/${id}`, { active: 'yes' }, 400],
      ['PATCH', `${base}/${id}`, { schedule: '99 * * * *' }, 422],
      ['POST', `${base}/${randomUUID()}/run`, undefined, 404],
      ['GET', `${base}/${id}/runs?limit=0`, undefined, 400],
      ['GET', `${base}/${id}/runs?cursor=nonsense`, undefined, 400],
      ['DELETE', `${base}/nope`, undefined, 400],
    ];
    for (const [method, url, payload, status] of cases) {
      const res = await call(owner, method, url, payload);
      expect(res.statusCode, `${method} ${url} ${JSON.stringify(payload)}: ${res.body}`).toBe(status);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
  });
});
