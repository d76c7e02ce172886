import { rlsContext } from '@conduit/auth';
import { createDatabase, withActor, withoutActor } from '@conduit/db';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConversationHarness, startConversationHarness } from '../fixtures/conversation-harness.js';

// Postgres itself keeps users apart: the runtime role sees no row without an actor, and one user
// never sees another's, whatever the domain layer does.

let h: ConversationHarness;
let runtime: ReturnType<typeof createDatabase>;

const userTables = [
  'bots',
  'bot_configuration',
  'bot_memories',
  'user_memories',
  'sessions',
  'message_history',
  'clicks',
  'basic_tools',
  'session_tool_associations',
  'providers',
  'prompts',
  'user_preferences',
  'apps',
  'app_appearances',
  'app_prompt_engineering_settings',
  'app_settings',
  'app_restricted_urls',
  'domains',
  'app_visitors',
  'bot_tables',
  'bot_table_rows',
  'bot_handler_runs',
  'bot_user_memories',
];

let appKey: string;
let appBotId: string;

beforeAll(async () => {
  h = await startConversationHarness();
  runtime = createDatabase(h.database.appUrl, { max: 2 });
  // One user with a row in every table.
  const owner = await h.tokens.mint({
    orgId: crypto.randomUUID(),
    perms: ['bots.read', 'bots.write', 'org.manage'],
  });
  const call = async (method: string, url: string, payload?: object) => {
    const res = await h.app.inject({
      method: method as 'GET',
      url,
      headers: owner.headers,
      ...(payload ? { payload } : {}),
    });
    expect(res.statusCode, `${url} ${res.body}`).toBeLessThan(300);
    return res.json();
  };
  const bot = await call('POST', '/v1/bots', {
    name: 'RLS',
    script: 'REMEMBER "seen", 1\nUSE TOOL "t"\nTALK "hi"\nHEAR x',
  });
  await call('POST', `/v1/bots/${bot.id}/tables/leads/rows`, { key: 'a', data: { name: 'A' } });
  await call('PUT', `/v1/bots/${bot.id}/tools/t`, { script: 'RETURN 1' });
  // A WEBHOOK script's run, recorded in bot_handler_runs.
  await call('PUT', `/v1/bots/${bot.id}/tools/hook`, { script: 'WEBHOOK "rls"\nRETURN 1' });
  const hook = await h.app.inject({ method: 'GET', url: `/v1/public/bots/${bot.id}/webhooks/rls` });
  expect(hook.statusCode, hook.body).toBe(200);
  await call('PUT', `/v1/bots/${bot.id}/config`, { items: [{ key: 'k', value: 'v' }] });
  await call('PUT', `/v1/bots/${bot.id}/memories/m`, { value: 1 });
  await call('PUT', '/v1/memories/m', { value: 2 });
  const { session } = await call('POST', `/v1/bots/${bot.id}/sessions`, {});
  await call('POST', `/v1/sessions/${session.id}/clicks`, { elementId: 'e' });
  const provider = await call('POST', '/v1/providers', {
    name: 'p',
    baseUrl: 'https://llm.example.com/v1',
    apiKey: 'sk-x',
  });
  const model = await call('POST', '/v1/models', { providerId: provider.id, name: 'm' });
  await call('PUT', '/v1/models/preference', { modelId: model.id });
  await call('POST', '/v1/prompts', { name: 'p', content: 'c' });
  // An app with every part, and one visitor of it.
  const app = await call('POST', '/v1/apps', { name: 'RLS app', botId: bot.id, status: 'published' });
  appKey = app.publicKey;
  appBotId = bot.id;
  await call('PATCH', `/v1/apps/${app.id}/appearance`, { welcomeText: 'hi' });
  await call('PATCH', `/v1/apps/${app.id}/prompt-settings`, { systemPrompt: 's' });
  await call('PUT', `/v1/apps/${app.id}/settings`, { settings: { k: 'v' } });
  await call('POST', `/v1/apps/${app.id}/restricted-urls`, { url: 'https://site.example' });
  await call('POST', `/v1/apps/${app.id}/domains`, { domain: 'chat.site.example' });
  const visitor = await h.app.inject({
    method: 'POST',
    url: `/v1/public/apps/${app.publicKey}/visitor`,
    headers: { origin: 'https://site.example' },
  });
  expect(visitor.statusCode, visitor.body).toBe(201);
});
afterAll(async () => {
  await runtime?.close();
  await h?.close();
});

const count = (tx: Parameters<Parameters<typeof withoutActor>[1]>[0], table: string) =>
  tx
    .execute<{ n: number }>(sql.raw(`select count(*)::int as n from conversation.${table}`))
    .then((r) => r[0]!.n);

describe('row-level security', () => {
  it('is enabled and forced on every user-owned table', async () => {
    const rows = await h.admin`
      select relname, relrowsecurity, relforcerowsecurity from pg_class
      where relnamespace = 'conversation'::regnamespace and relkind = 'r'`;
    const byName = new Map(rows.map((r) => [r.relname as string, r]));
    for (const table of [...userTables, 'ai_models']) {
      expect(byName.get(table), table).toMatchObject({ relrowsecurity: true, relforcerowsecurity: true });
    }
  });

  it('every table has rows (so the next checks mean something)', async () => {
    for (const table of userTables) {
      const [row] = await h.admin.unsafe(`select count(*)::int as n from conversation.${table}`);
      expect(row!.n, table).toBeGreaterThan(0);
    }
  });

  it('shows the runtime role no row without an actor', async () => {
    await withoutActor(runtime.db, async (tx) => {
      for (const table of userTables) expect(await count(tx, table), table).toBe(0);
      // Only the built-in catalog is public.
      const models = await tx.execute<{ name: string }>(sql`select name from conversation.ai_models`);
      expect(models.map((m) => m.name)).toEqual(['offline']);
    });
  });

  it("shows another user none of the first user's rows", async () => {
    const stranger = await h.tokens.mint({ orgId: crypto.randomUUID() });
    const verified = await h.deps.verifier!.verify(stranger.headers.authorization.slice(7));
    await withActor(runtime.db, rlsContext(verified!.actor), async (tx) => {
      for (const table of userTables) expect(await count(tx, table), table).toBe(0);
    });
  });

  it('refuses to write a row for someone else', async () => {
    const someone = await h.tokens.mint();
    const verified = await h.deps.verifier!.verify(someone.headers.authorization.slice(7));
    const error = await withActor(runtime.db, rlsContext(verified!.actor), (tx) =>
      tx.execute(
        sql`insert into conversation.user_memories (id, user_id, key, value) values (gen_random_uuid(), gen_random_uuid(), 'k', '1')`,
      ),
    ).catch((e: Error & { cause?: Error }) => e);
    expect(String((error as Error & { cause?: Error }).cause?.message)).toMatch(/row-level security/);
  });

  it("shows a visitor their app's bot and their own row only, and a public key its published app only", async () => {
    const [visitor] = await h.admin`select id from conversation.app_visitors limit 1`;
    const asVisitor = rlsContext({
      userId: visitor!.id as string,
      sessionId: null,
      orgId: null,
      teams: {},
      permissions: [],
      platformAdmin: false,
    });
    await withActor(runtime.db, asVisitor, async (tx) => {
      const bots = await tx.execute<{ id: string }>(sql`select id from conversation.bots`);
      expect(bots.map((b) => b.id)).toEqual([appBotId]);
      expect(await count(tx, 'app_visitors')).toBe(1);
      for (const table of ['apps', 'app_settings', 'domains', 'sessions', 'user_memories'])
        expect(await count(tx, table), table).toBe(0);
    });
    // Nor can a visitor admit someone else.
    const planted = await withActor(runtime.db, asVisitor, (tx) =>
      tx.execute(
        sql`insert into conversation.app_visitors (id, app_id) select gen_random_uuid(), app_id from conversation.app_visitors`,
      ),
    ).catch((e: Error & { cause?: Error }) => e);
    expect(String((planted as Error & { cause?: Error }).cause?.message)).toMatch(/row-level security/);
    const withKey = (key: string) =>
      runtime.db.transaction(async (tx) => {
        await tx.execute(sql`select set_config('app.public_app_key', ${key}, true)`);
        return [await count(tx, 'apps'), await count(tx, 'app_appearances'), await count(tx, 'bots')];
      });
    expect(await withKey(appKey)).toEqual([1, 1, 0]);
    expect(await withKey('pk_unknown')).toEqual([0, 0, 0]);
    await h.admin`update conversation.apps set status = 'disabled' where public_key = ${appKey}`;
    expect(await withKey(appKey)).toEqual([0, 0, 0]);
    await h.admin`update conversation.apps set status = 'published' where public_key = ${appKey}`;
  });

  it("refuses a bot table, row or memory under a bot the actor cannot see, or another user's memory", async () => {
    const someone = await h.tokens.mint();
    const verified = await h.deps.verifier!.verify(someone.headers.authorization.slice(7));
    const [table] = await h.admin`select id, bot_id from conversation.bot_tables limit 1`;
    const attempts = [
      sql`insert into conversation.bot_tables (id, bot_id, name) values (gen_random_uuid(), ${table!.bot_id}, 'planted')`,
      sql`insert into conversation.bot_table_rows (id, table_id, bot_id, data)
          values (gen_random_uuid(), ${table!.id}, ${table!.bot_id}, '{}')`,
      sql`insert into conversation.bot_user_memories (id, bot_id, user_id, kind, key, value)
          values (gen_random_uuid(), ${table!.bot_id}, ${verified!.actor.userId}, 'fact', 'k', '1')`,
    ];
    for (const attempt of attempts) {
      const error = await withActor(runtime.db, rlsContext(verified!.actor), (tx) =>
        tx.execute(attempt),
      ).catch((e: Error & { cause?: Error }) => e);
      expect(String((error as Error & { cause?: Error }).cause?.message)).toMatch(/row-level security/);
    }
    // A row of one bot's table filed under another bot the actor may use is refused too.
    const [own] = await withActor(runtime.db, rlsContext(verified!.actor), (tx) =>
      tx.execute<{ id: string }>(sql`select gen_random_uuid() as id`),
    );
    const created = await h.app.inject({
      method: 'POST',
      url: '/v1/bots',
      headers: someone.headers,
      payload: { name: 'mine' },
    });
    const mine = created.json().id as string;
    const crossed = await withActor(runtime.db, rlsContext(verified!.actor), (tx) =>
      tx.execute(sql`insert into conversation.bot_table_rows (id, table_id, bot_id, data)
        values (${own!.id}, ${table!.id}, ${mine}, '{}')`),
    ).catch((e: Error & { cause?: Error }) => e);
    expect(String((crossed as Error & { cause?: Error }).cause?.message)).toMatch(/row-level security/);
  });

  it('the runtime role owns nothing and cannot bypass RLS', async () => {
    const [role] =
      await h.admin`select rolbypassrls, rolsuper from pg_roles where rolname = 'conversation_app'`;
    expect(role).toMatchObject({ rolbypassrls: false, rolsuper: false });
    const owned =
      await h.admin`select tablename from pg_tables where schemaname = 'conversation' and tableowner = 'conversation_app'`;
    expect(owned).toHaveLength(0);
  });

  it("lets a team's viewer see its bot but change neither the bot nor its configuration and tools", async () => {
    const team = crypto.randomUUID();
    const member = await h.tokens.mint({ perms: ['bots.read', 'bots.write'], teams: { [team]: 'member' } });
    const created = await h.app.inject({
      method: 'POST',
      url: '/v1/bots',
      headers: member.headers,
      payload: { name: 'team bot', script: 'TALK "hi"', teamId: team },
    });
    expect(created.statusCode, created.body).toBe(201);
    const bot = created.json().id as string;
    const configured = await h.app.inject({
      method: 'PUT',
      url: `/v1/bots/${bot}/config`,
      headers: member.headers,
      payload: { items: [{ key: 'k', value: 'v' }] },
    });
    expect(configured.statusCode, configured.body).toBeLessThan(300);

    const asRole = (role: 'viewer' | 'member') =>
      rlsContext({
        userId: crypto.randomUUID(),
        sessionId: null,
        orgId: null,
        teams: { [team]: role },
        permissions: [],
        platformAdmin: false,
      });
    const changes = (tx: Parameters<Parameters<typeof withoutActor>[1]>[0]) =>
      Promise.all([
        tx.execute(sql`update conversation.bots set name = name where id = ${bot} returning id`),
        tx.execute(
          sql`update conversation.bot_configuration set value = value where bot_id = ${bot} returning bot_id`,
        ),
      ]);
    await withActor(runtime.db, asRole('viewer'), async (tx) => {
      expect(await tx.execute(sql`select id from conversation.bots where id = ${bot}`)).toHaveLength(1);
      expect((await changes(tx)).map((rows) => rows.length)).toEqual([0, 0]);
    });
    const planted = await withActor(runtime.db, asRole('viewer'), (tx) =>
      tx.execute(sql`insert into conversation.basic_tools (id, bot_id, name, script, parameters)
                     values (gen_random_uuid(), ${bot}, 'planted', 'RETURN 1', '{}')`),
    ).catch((e: Error & { cause?: Error }) => e);
    expect(String((planted as Error & { cause?: Error }).cause?.message)).toMatch(/row-level security/);
    await withActor(runtime.db, asRole('member'), async (tx) => {
      expect((await changes(tx)).map((rows) => rows.length)).toEqual([1, 1]);
    });
  });
});
