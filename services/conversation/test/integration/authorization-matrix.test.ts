import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConversationHarness,
  MEMBER_PERMISSIONS,
  startConversationHarness,
} from '../fixtures/conversation-harness.js';

// Every route x every kind of caller -> the status it must answer, kept as data. The bot belongs
// to a team (owner, admin, member, viewer roles); the session is its owner's own.

type Role = 'anonymous' | 'owner' | 'teamAdmin' | 'teamMember' | 'teamViewer' | 'stranger' | 'platformAdmin';
const roles: Role[] = [
  'anonymous',
  'owner',
  'teamAdmin',
  'teamMember',
  'teamViewer',
  'stranger',
  'platformAdmin',
];

let h: ConversationHarness;
const orgId = crypto.randomUUID();
const teamId = crypto.randomUUID();
const headers = {} as Record<Role, Record<string, string>>;
let ownerId: string;

interface Fixture {
  botId: string;
  sessionId: string;
  providerId: string;
  modelId: string;
  promptId: string;
  appId: string;
  publicKey: string;
  urlId: string;
  domainId: string;
  tableRowId: string;
}

beforeAll(async () => {
  h = await startConversationHarness();
  const mint = (role: Exclude<Role, 'anonymous'>) => {
    switch (role) {
      case 'owner':
        return h.tokens.mint({
          orgId,
          teams: { [teamId]: 'owner' },
          perms: [...MEMBER_PERMISSIONS, 'org.manage'],
        });
      case 'teamAdmin':
        return h.tokens.mint({ orgId, teams: { [teamId]: 'admin' } });
      case 'teamMember':
        return h.tokens.mint({ orgId, teams: { [teamId]: 'member' } });
      case 'teamViewer':
        return h.tokens.mint({ orgId, teams: { [teamId]: 'viewer' } });
      case 'stranger':
        return h.tokens.mint({ orgId: crypto.randomUUID() });
      case 'platformAdmin':
        return h.tokens.mint({ orgId: crypto.randomUUID(), perms: [], platformAdmin: true });
    }
  };
  headers.anonymous = {};
  for (const role of roles.filter((r) => r !== 'anonymous') as Exclude<Role, 'anonymous'>[]) {
    const minted = await mint(role);
    headers[role] = minted.headers;
    if (role === 'owner') ownerId = minted.userId;
  }
});
afterAll(async () => {
  await h?.close();
});

async function ok(
  method: string,
  url: string,
  payload?: unknown,
  as: Record<string, string> = headers.owner,
) {
  const res = await h.app.inject({
    method: method as 'GET',
    url,
    headers: as,
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
  if (res.statusCode >= 300) throw new Error(`${method} ${url} -> ${res.statusCode} ${res.body}`);
  return res.json();
}

/** A fresh team bot (with a tool and a memory), an owner's session with it, and org catalog rows. */
async function fixture(): Promise<Fixture> {
  const bot = await ok('POST', '/v1/bots', { name: 'Team bot', teamId });
  await ok('PUT', `/v1/bots/${bot.id}/tools/echo`, { script: 'PARAM word AS STRING\nRETURN word' });
  await ok('PUT', `/v1/bots/${bot.id}/memories/greeting`, { value: 'hello' });
  const tableRow = await ok('POST', `/v1/bots/${bot.id}/tables/leads/rows`, { data: { a: 1 } });
  await ok('PUT', '/v1/memories/colour', { value: 'blue' });
  const session = await ok('POST', `/v1/bots/${bot.id}/sessions`, {});
  const provider = await ok('POST', '/v1/providers', { name: 'P', baseUrl: 'http://127.0.0.1:9/v1' });
  const model = await ok('POST', '/v1/models', { providerId: provider.id, name: 'm' });
  const prompt = await ok('POST', '/v1/prompts', { name: 'p', content: 'You are {{bot.name}}' });
  const app = await ok('POST', '/v1/apps', { name: 'Site', botId: bot.id, teamId, status: 'published' });
  const url = await ok('POST', `/v1/apps/${app.id}/restricted-urls`, { url: 'https://site.example' });
  // A loopback literal: its verification is refused at once by the address check (recorded failed).
  const domain = await ok('POST', `/v1/apps/${app.id}/domains`, { domain: '127.0.0.1' });
  return {
    appId: app.id,
    publicKey: app.publicKey,
    urlId: url.id,
    domainId: domain.id,
    tableRowId: tableRow.id,
    botId: bot.id,
    sessionId: session.session.id,
    providerId: provider.id,
    modelId: model.id,
    promptId: prompt.id,
  };
}

interface Row {
  route: string;
  url: (f: Fixture) => string;
  body?: unknown;
  contentType?: string;
  expect: Record<Role, number>;
}

const all = (status: number, overrides: Partial<Record<Role, number>> = {}): Record<Role, number> => ({
  anonymous: 401,
  owner: status,
  teamAdmin: status,
  teamMember: status,
  teamViewer: status,
  stranger: status,
  platformAdmin: status,
  ...overrides,
});
/** A team bot: readable by every team role, changed by all but viewers, invisible to strangers. */
const botRead = (status: number) => all(status, { stranger: 404 });
const botWrite = (status: number) => all(status, { teamViewer: 403, stranger: 404 });
/** The owner's own session: nobody else sees it (the platform admin may read it). */
const sessionRead = (status: number) => all(404, { owner: status, platformAdmin: status });
const sessionWrite = (status: number) => all(404, { owner: status });
/** A team app: read by every team role, managed by the team's owners and admins only. */
const appRead = (status: number) => all(status, { stranger: 404 });
const appManage = (status: number) => all(status, { teamMember: 403, teamViewer: 403, stranger: 404 });
/** A team bot's tables: read by every team role, changed by the team's owners and admins only. */
const tableRead = appRead;
const tableManage = appManage;
/** Organization settings: owners / admins (org.manage) change them. */
const orgManage = (status: number, notFound = 404) =>
  all(403, { owner: status, platformAdmin: status, stranger: notFound });

const matrix: Row[] = [
  {
    route: 'POST /v1/bots',
    url: () => '/v1/bots',
    body: { name: 'Mine' },
    expect: all(201, { platformAdmin: 201 }),
  },
  { route: 'GET /v1/bots', url: () => '/v1/bots', expect: all(200) },
  { route: 'GET /v1/bots/:id', url: (f) => `/v1/bots/${f.botId}`, expect: botRead(200) },
  {
    route: 'PATCH /v1/bots/:id',
    url: (f) => `/v1/bots/${f.botId}`,
    body: { name: 'Renamed' },
    expect: botWrite(200),
  },
  { route: 'DELETE /v1/bots/:id', url: (f) => `/v1/bots/${f.botId}`, expect: botWrite(204) },
  { route: 'GET /v1/bots/:id/config', url: (f) => `/v1/bots/${f.botId}/config`, expect: botRead(200) },
  {
    route: 'PUT /v1/bots/:id/config',
    url: (f) => `/v1/bots/${f.botId}/config`,
    body: { items: [{ key: 'a', value: 'b' }] },
    expect: botWrite(200),
  },
  {
    route: 'GET /v1/bots/:id/config.csv',
    url: (f) => `/v1/bots/${f.botId}/config.csv`,
    expect: botRead(200),
  },
  {
    route: 'PUT /v1/bots/:id/config.csv',
    url: (f) => `/v1/bots/${f.botId}/config.csv`,
    body: 'name,value\nwelcome-message,Hi\n',
    contentType: 'text/csv',
    expect: botWrite(200),
  },
  { route: 'GET /v1/bots/:id/memories', url: (f) => `/v1/bots/${f.botId}/memories`, expect: botRead(200) },
  {
    route: 'GET /v1/bots/:id/memories/:key',
    url: (f) => `/v1/bots/${f.botId}/memories/greeting`,
    expect: botRead(200),
  },
  {
    route: 'PUT /v1/bots/:id/memories/:key',
    url: (f) => `/v1/bots/${f.botId}/memories/greeting`,
    body: { value: 1 },
    expect: botWrite(200),
  },
  {
    route: 'DELETE /v1/bots/:id/memories/:key',
    url: (f) => `/v1/bots/${f.botId}/memories/greeting`,
    expect: botWrite(204),
  },
  { route: 'GET /v1/bots/:id/tables', url: (f) => `/v1/bots/${f.botId}/tables`, expect: tableRead(200) },
  {
    route: 'POST /v1/bots/:id/tables',
    url: (f) => `/v1/bots/${f.botId}/tables`,
    body: { name: 'fresh' },
    expect: tableManage(201),
  },
  {
    route: 'DELETE /v1/bots/:id/tables/:table',
    url: (f) => `/v1/bots/${f.botId}/tables/leads`,
    expect: tableManage(204),
  },
  {
    route: 'GET /v1/bots/:id/tables/:table/rows',
    url: (f) => `/v1/bots/${f.botId}/tables/leads/rows`,
    expect: tableRead(200),
  },
  {
    route: 'POST /v1/bots/:id/tables/:table/rows',
    url: (f) => `/v1/bots/${f.botId}/tables/leads/rows`,
    body: { data: { b: 2 } },
    expect: tableManage(201),
  },
  {
    route: 'GET /v1/bots/:id/tables/:table/rows/:rowId',
    url: (f) => `/v1/bots/${f.botId}/tables/leads/rows/${f.tableRowId}`,
    expect: tableRead(200),
  },
  {
    route: 'PATCH /v1/bots/:id/tables/:table/rows/:rowId',
    url: (f) => `/v1/bots/${f.botId}/tables/leads/rows/${f.tableRowId}`,
    body: { data: { c: 3 } },
    expect: tableManage(200),
  },
  {
    route: 'DELETE /v1/bots/:id/tables/:table/rows/:rowId',
    url: (f) => `/v1/bots/${f.botId}/tables/leads/rows/${f.tableRowId}`,
    expect: tableManage(204),
  },
  {
    route: 'GET /v1/bots/:id/tables/:table/csv',
    url: (f) => `/v1/bots/${f.botId}/tables/leads/csv`,
    expect: tableRead(200),
  },
  {
    route: 'POST /v1/bots/:id/tables/:table/csv',
    url: (f) => `/v1/bots/${f.botId}/tables/leads/csv`,
    body: 'a\n1\n',
    contentType: 'text/csv',
    expect: tableManage(200),
  },
  { route: 'GET /v1/bots/:id/tools', url: (f) => `/v1/bots/${f.botId}/tools`, expect: botRead(200) },
  {
    route: 'GET /v1/bots/:id/tools/:name',
    url: (f) => `/v1/bots/${f.botId}/tools/echo`,
    expect: botRead(200),
  },
  {
    // A script's runs: its output and errors are for who may change the bot.
    route: 'GET /v1/bots/:id/tools/:name/runs',
    url: (f) => `/v1/bots/${f.botId}/tools/echo/runs`,
    expect: botWrite(200),
  },
  {
    route: 'PUT /v1/bots/:id/tools/:name',
    url: (f) => `/v1/bots/${f.botId}/tools/echo`,
    body: { script: 'RETURN 1' },
    expect: botWrite(200),
  },
  {
    route: 'DELETE /v1/bots/:id/tools/:name',
    url: (f) => `/v1/bots/${f.botId}/tools/echo`,
    expect: botWrite(204),
  },
  {
    route: 'POST /v1/bots/:id/sessions',
    url: (f) => `/v1/bots/${f.botId}/sessions`,
    body: {},
    expect: botRead(201),
  },
  { route: 'GET /v1/sessions', url: () => '/v1/sessions', expect: all(200) },
  { route: 'GET /v1/sessions/:id', url: (f) => `/v1/sessions/${f.sessionId}`, expect: sessionRead(200) },
  {
    route: 'POST /v1/sessions/:id/end',
    url: (f) => `/v1/sessions/${f.sessionId}/end`,
    expect: sessionWrite(200),
  },
  { route: 'DELETE /v1/sessions/:id', url: (f) => `/v1/sessions/${f.sessionId}`, expect: sessionWrite(204) },
  {
    route: 'GET /v1/sessions/:id/messages',
    url: (f) => `/v1/sessions/${f.sessionId}/messages`,
    expect: sessionRead(200),
  },
  {
    route: 'POST /v1/sessions/:id/messages',
    url: (f) => `/v1/sessions/${f.sessionId}/messages`,
    body: { text: 'hi' },
    expect: sessionWrite(201),
  },
  {
    route: 'POST /v1/sessions/:id/clicks',
    url: (f) => `/v1/sessions/${f.sessionId}/clicks`,
    body: { elementId: 'button-1' },
    expect: sessionWrite(201),
  },
  {
    route: 'POST /v1/sessions/:id/tools/:name',
    url: (f) => `/v1/sessions/${f.sessionId}/tools/echo`,
    body: { args: { word: 'x' } },
    expect: sessionWrite(200),
  },
  { route: 'GET /v1/messages/search', url: () => '/v1/messages/search?q=hello', expect: all(200) },
  { route: 'GET /v1/memories', url: () => '/v1/memories', expect: all(200) },
  {
    route: 'GET /v1/memories/:key',
    url: () => '/v1/memories/colour',
    expect: all(404, { owner: 200, anonymous: 401 }),
  },
  {
    route: 'PUT /v1/memories/:key',
    url: () => '/v1/memories/shade',
    body: { value: 'red' },
    expect: all(200),
  },
  {
    route: 'DELETE /v1/memories/:key',
    url: () => '/v1/memories/colour',
    expect: all(404, { owner: 204, anonymous: 401 }),
  },
  { route: 'GET /v1/providers', url: () => '/v1/providers', expect: all(200) },
  {
    route: 'POST /v1/providers',
    url: () => '/v1/providers',
    body: { name: 'Q', baseUrl: 'https://llm.example.com/v1' },
    expect: orgManage(201, 403),
  },
  {
    route: 'GET /v1/providers/:id',
    url: (f) => `/v1/providers/${f.providerId}`,
    expect: all(200, { stranger: 404 }),
  },
  {
    route: 'PATCH /v1/providers/:id',
    url: (f) => `/v1/providers/${f.providerId}`,
    body: { name: 'R' },
    expect: orgManage(200),
  },
  { route: 'DELETE /v1/providers/:id', url: (f) => `/v1/providers/${f.providerId}`, expect: orgManage(204) },
  { route: 'GET /v1/models', url: () => '/v1/models', expect: all(200) },
  {
    route: 'POST /v1/models',
    url: (f) => `/v1/models?p=${f.providerId}`,
    body: 'provider',
    expect: orgManage(201, 403),
  },
  {
    route: 'PATCH /v1/models/:id',
    url: (f) => `/v1/models/${f.modelId}`,
    body: { active: false },
    expect: orgManage(200),
  },
  { route: 'DELETE /v1/models/:id', url: (f) => `/v1/models/${f.modelId}`, expect: orgManage(204) },
  { route: 'GET /v1/models/preference', url: () => '/v1/models/preference', expect: all(200) },
  {
    route: 'PUT /v1/models/preference',
    url: (f) => `/v1/models/preference?m=${f.modelId}`,
    body: 'model',
    expect: all(200, { stranger: 404 }),
  },
  { route: 'GET /v1/prompts', url: () => '/v1/prompts', expect: all(200) },
  {
    route: 'POST /v1/prompts',
    url: () => '/v1/prompts',
    body: { name: 'x', content: 'y' },
    expect: all(201),
  },
  {
    route: 'GET /v1/prompts/:id',
    url: (f) => `/v1/prompts/${f.promptId}`,
    expect: all(200, { stranger: 404 }),
  },
  {
    route: 'PATCH /v1/prompts/:id',
    url: (f) => `/v1/prompts/${f.promptId}`,
    body: { content: 'z' },
    expect: all(200, { stranger: 404 }),
  },
  {
    route: 'DELETE /v1/prompts/:id',
    url: (f) => `/v1/prompts/${f.promptId}`,
    expect: all(204, { stranger: 404 }),
  },
  {
    route: 'POST /v1/apps',
    url: () => '/v1/apps',
    body: 'app',
    // Creating in a team one is not in is refused as such (no app exists to hide).
    expect: { ...appManage(201), stranger: 403 },
  },
  { route: 'GET /v1/apps', url: () => '/v1/apps', expect: all(200) },
  { route: 'GET /v1/apps/:id', url: (f) => `/v1/apps/${f.appId}`, expect: appRead(200) },
  {
    route: 'PATCH /v1/apps/:id',
    url: (f) => `/v1/apps/${f.appId}`,
    body: { name: 'n' },
    expect: appManage(200),
  },
  { route: 'DELETE /v1/apps/:id', url: (f) => `/v1/apps/${f.appId}`, expect: appManage(204) },
  {
    route: 'POST /v1/apps/:id/rotate-key',
    url: (f) => `/v1/apps/${f.appId}/rotate-key`,
    expect: appManage(200),
  },
  {
    route: 'GET /v1/apps/:id/appearance',
    url: (f) => `/v1/apps/${f.appId}/appearance`,
    expect: appRead(200),
  },
  {
    route: 'PATCH /v1/apps/:id/appearance',
    url: (f) => `/v1/apps/${f.appId}/appearance`,
    body: { primaryColor: '#123456' },
    expect: appManage(200),
  },
  {
    route: 'GET /v1/apps/:id/prompt-settings',
    url: (f) => `/v1/apps/${f.appId}/prompt-settings`,
    expect: appRead(200),
  },
  {
    route: 'PATCH /v1/apps/:id/prompt-settings',
    url: (f) => `/v1/apps/${f.appId}/prompt-settings`,
    body: { systemPrompt: 'Be brief.' },
    expect: appManage(200),
  },
  { route: 'GET /v1/apps/:id/settings', url: (f) => `/v1/apps/${f.appId}/settings`, expect: appRead(200) },
  {
    route: 'PUT /v1/apps/:id/settings',
    url: (f) => `/v1/apps/${f.appId}/settings`,
    body: { settings: { k: 'v' } },
    expect: appManage(200),
  },
  {
    route: 'GET /v1/apps/:id/restricted-urls',
    url: (f) => `/v1/apps/${f.appId}/restricted-urls`,
    expect: appRead(200),
  },
  {
    route: 'POST /v1/apps/:id/restricted-urls',
    url: (f) => `/v1/apps/${f.appId}/restricted-urls`,
    body: { url: 'https://other.example/help' },
    expect: appManage(201),
  },
  {
    route: 'DELETE /v1/apps/:id/restricted-urls/:urlId',
    url: (f) => `/v1/apps/${f.appId}/restricted-urls/${f.urlId}`,
    expect: appManage(204),
  },
  { route: 'GET /v1/apps/:id/domains', url: (f) => `/v1/apps/${f.appId}/domains`, expect: appRead(200) },
  {
    route: 'POST /v1/apps/:id/domains',
    url: (f) => `/v1/apps/${f.appId}/domains`,
    body: { domain: 'chat.site.example' },
    expect: appManage(201),
  },
  {
    route: 'POST /v1/apps/:id/domains/:domainId/verify',
    url: (f) => `/v1/apps/${f.appId}/domains/${f.domainId}/verify`,
    expect: appManage(200),
  },
  {
    route: 'DELETE /v1/apps/:id/domains/:domainId',
    url: (f) => `/v1/apps/${f.appId}/domains/${f.domainId}`,
    expect: appManage(204),
  },
  // The public widget API takes no account at all: without the app's page origin every caller,
  // signed in or not, is refused (visitors are covered in apps.test.ts).
  ...[
    'GET /v1/public/apps/:key/config',
    'POST /v1/public/apps/:key/visitor',
    'POST /v1/public/apps/:key/sessions',
    'GET /v1/public/apps/:key/sessions',
    'GET /v1/public/apps/:key/sessions/:sessionId',
    'GET /v1/public/apps/:key/sessions/:sessionId/messages',
    'POST /v1/public/apps/:key/sessions/:sessionId/messages',
  ].map(
    (route): Row => ({
      route,
      url: (f) => route.split(' ')[1]!.replace(':key', f.publicKey).replace(':sessionId', f.sessionId),
      ...(route.startsWith('POST') ? { body: route.endsWith('messages') ? { text: 'hi' } : {} } : {}),
      expect: all(403, { anonymous: 403 }),
    }),
  ),
  // Bots' webhooks take no account either: a name no script of the bot answers is 404 for anyone
  // (general-bots-events.test.ts runs one that exists).
  ...['GET', 'POST'].map(
    (method): Row => ({
      route: `${method} /v1/public/bots/:botId/webhooks/:name`,
      url: (f) => `/v1/public/bots/${f.botId}/webhooks/none`,
      ...(method === 'POST' ? { body: {} } : {}),
      expect: all(404, { anonymous: 404 }),
    }),
  ),
];

const cursorOf = (text: string) => Buffer.from(text).toString('base64url');

/** Bodies that need an id from the fixture. */
function bodyFor(row: Row, f: Fixture) {
  if (row.body === 'provider') return { providerId: f.providerId, name: 'n' };
  if (row.body === 'model') return { modelId: f.modelId };
  if (row.body === 'app') return { name: 'n', botId: f.botId, teamId };
  return row.body;
}

describe('authorization matrix', () => {
  for (const row of matrix) {
    it(row.route, async () => {
      const actual = {} as Record<Role, number>;
      for (const role of roles) {
        const f = await fixture();
        const body = bodyFor(row, f);
        const res = await h.app.inject({
          method: row.route.split(' ')[0] as 'GET',
          url: row.url(f),
          headers: { ...headers[role], ...(row.contentType ? { 'content-type': row.contentType } : {}) },
          ...(body !== undefined ? { payload: body as string } : {}),
        });
        actual[role] = res.statusCode;
        if (res.statusCode >= 400) expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      }
      expect(actual).toEqual(row.expect);
    });
  }

  it('covers every route the service serves', () => {
    const served = h.app.printRoutes({ commonPrefix: false }).split('\n').filter(Boolean);
    expect(served.length).toBeGreaterThan(0);
    const routes = new Set(matrix.map((r) => r.route.replace(/:\w+/g, ':p')));
    const openapi = (h.app.swagger() as { paths: Record<string, Record<string, unknown>> }).paths;
    const missing: string[] = [];
    for (const [path, methods] of Object.entries(openapi))
      for (const method of Object.keys(methods)) {
        const key = `${method.toUpperCase()} ${path.replace(/\{\w+\}/g, ':p')}`;
        if (!routes.has(key)) missing.push(key);
      }
    expect(missing).toEqual([]);
  });
});

describe('isolation', () => {
  it("a stranger's message search never returns another user's text", async () => {
    const f = await fixture();
    await ok('PUT', '/v1/models/preference', { modelId: null });
    const secret = 'zebracorn quarterly figures';
    await ok('POST', `/v1/sessions/${f.sessionId}/messages`, { text: `Tell me about ${secret}` });
    const mine = await ok('GET', '/v1/messages/search?q=zebracorn');
    expect(mine.items.some((m: { content: string }) => m.content.includes(secret))).toBe(true);
    for (const role of roles.filter((r) => r !== 'anonymous' && r !== 'owner')) {
      const res = await h.app.inject({
        method: 'GET',
        url: '/v1/messages/search?q=zebracorn',
        headers: headers[role],
      });
      expect(res.statusCode).toBe(200);
      expect(res.body, role).not.toContain('zebracorn');
    }
    expect(ownerId).toBeDefined();
  });

  it('bad input is a 4xx problem, never a 5xx', async () => {
    const f = await fixture();
    const cases: [string, string, unknown?, Record<string, string>?][] = [
      ['GET', '/v1/bots/not-a-uuid'],
      ['GET', `/v1/bots?limit=0`],
      ['GET', `/v1/bots?cursor=%%%`],
      ['GET', `/v1/sessions?cursor=bm90IGEgY3Vyc29y`],
      ['POST', '/v1/bots', { name: '' }],
      ['POST', '/v1/bots', { name: 'x', visibility: 'public' }],
      ['POST', '/v1/bots', '{"name": "x"', { 'content-type': 'application/json' }],
      ['POST', '/v1/bots', { name: 'x', __proto__: { admin: true } }],
      ['PUT', `/v1/bots/${f.botId}/config`, { items: [{ key: 'llm-key', value: 'sk-1' }] }],
      ['PUT', `/v1/bots/${f.botId}/config.csv`, 'key;value\n"unterminated', { 'content-type': 'text/csv' }],
      ['PUT', `/v1/bots/${f.botId}/config.csv`, 'a,b,c\n', { 'content-type': 'text/csv' }],
      ['PUT', `/v1/bots/${f.botId}/tools/bad name`, { script: 'RETURN 1' }],
      ['PUT', `/v1/bots/${f.botId}/tools/ok`, { script: 'IF THEN' }],
      ['PUT', `/v1/bots/${f.botId}/memories/k`, { value: 'x'.repeat(70_000) }],
      ['PUT', `/v1/bots/${f.botId}/memories/k`, {}],
      ['POST', `/v1/sessions/${f.sessionId}/messages`, { text: '' }],
      ['POST', `/v1/sessions/${f.sessionId}/messages`, { text: 'x'.repeat(20_001) }],
      ['POST', `/v1/sessions/${f.sessionId}/tools/echo`, { args: { word: 5 } }],
      ['POST', `/v1/sessions/${f.sessionId}/tools/nope`, { args: {} }],
      ['POST', `/v1/sessions/${f.sessionId}/clicks`, { elementId: 'a', timestamp: 'yesterday' }],
      ['GET', '/v1/messages/search?q='],
      ['GET', `/v1/messages/search?q=${encodeURIComponent('!!! & | ( ) :*')}`],
      ['POST', '/v1/providers', { name: 'x', baseUrl: 'ftp://example.com' }],
      ['PUT', '/v1/models/preference', { modelId: crypto.randomUUID() }],
      ['POST', '/v1/models', { providerId: crypto.randomUUID(), name: 'x' }],
      // Cursors that decode to a Date and an id-like string Postgres still refuses.
      ['GET', `/v1/bots?cursor=${cursorOf(`2024-01-01T00:00:00.000Z|${'-'.repeat(36)}`)}`],
      ['GET', `/v1/bots?cursor=${cursorOf(`-271821-04-20T00:00:00.000Z|${crypto.randomUUID()}`)}`],
      ['GET', `/v1/bots?cursor=${cursorOf(`0000-01-01T00:00:00.000Z|${crypto.randomUUID()}`)}`],
      [
        'GET',
        `/v1/sessions/${f.sessionId}/messages?cursor=${cursorOf(`+275760-09-13T00:00:00.000Z|${crypto.randomUUID()}`)}`,
      ],
      ['POST', `/v1/sessions/${f.sessionId}/clicks`, { elementId: 'a', timestamp: '0000-01-01T00:00:00Z' }],
      // Text Postgres cannot store (U+0000; unpaired surrogates in jsonb), and very deep JSON.
      ['POST', '/v1/bots', { name: 'a\u0000b' }],
      ['POST', `/v1/sessions/${f.sessionId}/messages`, { text: 'hi\u0000' }],
      ['GET', '/v1/messages/search?q=%00'],
      ['PUT', '/v1/memories/k%00', { value: 1 }],
      ['PUT', '/v1/memories/k', { value: 'a\ud800' }],
      ['PUT', '/v1/memories/k', { value: { 'a\u0000': 1 } }],
      [
        'PUT',
        '/v1/memories/k',
        `{"value": ${'['.repeat(5000)}${']'.repeat(5000)}}`,
        { 'content-type': 'application/json' },
      ],
      ['PUT', `/v1/bots/${f.botId}/config.csv`, 'name,value\na,b\u0000\n', { 'content-type': 'text/csv' }],
      ['POST', `/v1/sessions/${f.sessionId}/clicks`, { elementId: 'e', metadata: { a: 'x\u0000' } }],
      ['POST', '/v1/prompts', { name: 'p', content: 'c\u0000' }],
    ];
    for (const [method, url, payload, extra] of cases) {
      const res = await h.app.inject({
        method: method as 'GET',
        url,
        headers: { ...headers.owner, ...(extra ?? {}) },
        ...(payload !== undefined ? { payload: payload as string } : {}),
      });
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeGreaterThanOrEqual(200);
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(500);
      if (res.statusCode >= 400) expect(res.headers['content-type']).toMatch(/problem\+json/);
    }
  });
});
