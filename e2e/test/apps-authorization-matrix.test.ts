import { randomUUID } from 'node:crypto';
import {
  type ConversationHarness,
  MEMBER_PERMISSIONS,
  startConversationHarness,
} from '@conduit/conversation/test/fixtures/conversation-harness.js';
import { type GatewayHarness, startGateway } from '@conduit/gateway/test/fixtures/gateway-harness.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Who may do what with apps, through the gateway, kept as data: every /v1/apps route against every
// kind of caller, and the public widget API against every way a visitor can be wrong. The team
// app belongs to team T (created by its owner); the personal app is `owner`'s alone.

const ACTORS = [
  'anonymous',
  'owner',
  'teamOwner',
  'teamAdmin',
  'teamMember',
  'teamViewer',
  'stranger',
] as const;
type ActorName = (typeof ACTORS)[number];

const TEAM = randomUUID();
const ORG = randomUUID();
const SITE = 'https://shop.example.com';
let conversation: ConversationHarness;
let gateway: GatewayHarness;
const tokens = {} as Record<ActorName, string | undefined>;

interface Apps {
  team: { id: string; publicKey: string; urlId: string; domainId: string };
  personal: { id: string };
  botId: string;
}
let apps: Apps;

async function send(
  method: string,
  path: string,
  token?: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${gateway.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get('content-type') ?? '',
    body: text ? JSON.parse(text) : null,
  };
}

async function ok(method: string, path: string, token: string, body?: unknown) {
  const res = await send(method, path, token, body);
  expect(res.status, `${method} ${path} ${JSON.stringify(res.body)}`).toBeLessThan(300);
  return res.body;
}

/** A fresh team app (with a URL and a domain) for routes that destroy or change what they touch. */
async function teamApp() {
  const owner = tokens.teamOwner!;
  const app = await ok('POST', '/v1/apps', owner, {
    name: 'Team site',
    botId: apps.botId,
    teamId: TEAM,
    status: 'published',
  });
  const url = await ok('POST', `/v1/apps/${app.id}/restricted-urls`, owner, { url: SITE });
  const domain = await ok('POST', `/v1/apps/${app.id}/domains`, owner, { domain: '127.0.0.1' });
  return {
    id: app.id as string,
    publicKey: app.publicKey as string,
    urlId: url.id as string,
    domainId: domain.id as string,
  };
}

beforeAll(async () => {
  conversation = await startConversationHarness();
  gateway = await startGateway(
    { CONVERSATION_URL: await conversation.listen(), RATE_LIMIT_MAX: '100000' },
    conversation.tokens.verifier,
  );
  const claims: Record<
    Exclude<ActorName, 'anonymous'>,
    Parameters<ConversationHarness['tokens']['mint']>[0]
  > = {
    owner: { orgId: ORG, perms: MEMBER_PERMISSIONS },
    teamOwner: { orgId: ORG, teams: { [TEAM]: 'owner' } },
    teamAdmin: { orgId: ORG, teams: { [TEAM]: 'admin' } },
    teamMember: { orgId: ORG, teams: { [TEAM]: 'member' } },
    teamViewer: { orgId: ORG, teams: { [TEAM]: 'viewer' } },
    stranger: { orgId: randomUUID(), teams: { [randomUUID()]: 'owner' } },
  };
  tokens.anonymous = undefined;
  for (const [actor, claim] of Object.entries(claims) as [Exclude<ActorName, 'anonymous'>, never][])
    tokens[actor] = (await conversation.tokens.mint(claim)).token;
  const bot = await ok('POST', '/v1/bots', tokens.teamOwner!, { name: 'Team bot', teamId: TEAM });
  apps = { botId: bot.id, team: undefined as never, personal: undefined as never };
  apps.team = await teamApp();
  const ownBot = await ok('POST', '/v1/bots', tokens.owner!, { name: 'Own bot' });
  apps.personal = await ok('POST', '/v1/apps', tokens.owner!, { name: 'Mine', botId: ownBot.id });
}, 60_000);
afterAll(async () => {
  await gateway?.close();
  await conversation?.close();
});

interface Cell {
  method: string;
  path: string;
  body?: unknown;
}

// Columns: anonymous, owner (of the personal app, no team role), team owner, team admin, team member,
// team viewer, stranger.
// biome-ignore format: the matrix reads as a table, one route per line
const MATRIX: { route: string; request: () => Promise<Cell> | Cell; expected: number[] }[] = [
  { route: 'POST /v1/apps (team)', request: () => ({ method: 'POST', path: '/v1/apps', body: { name: 'n', botId: apps.botId, teamId: TEAM } }), expected: [401, 403, 201, 201, 403, 403, 403] },
  { route: 'GET /v1/apps', request: () => ({ method: 'GET', path: '/v1/apps' }), expected: [401, 200, 200, 200, 200, 200, 200] },
  { route: 'GET team app', request: () => ({ method: 'GET', path: `/v1/apps/${apps.team.id}` }), expected: [401, 404, 200, 200, 200, 200, 404] },
  { route: 'GET personal app', request: () => ({ method: 'GET', path: `/v1/apps/${apps.personal.id}` }), expected: [401, 200, 404, 404, 404, 404, 404] },
  { route: 'PATCH personal app', request: () => ({ method: 'PATCH', path: `/v1/apps/${apps.personal.id}`, body: { name: 'x' } }), expected: [401, 200, 404, 404, 404, 404, 404] },
  { route: 'GET unknown app', request: () => ({ method: 'GET', path: `/v1/apps/${randomUUID()}` }), expected: [401, 404, 404, 404, 404, 404, 404] },
  { route: 'PATCH team app', request: () => ({ method: 'PATCH', path: `/v1/apps/${apps.team.id}`, body: { name: 'Renamed' } }), expected: [401, 404, 200, 200, 403, 403, 404] },
  { route: 'DELETE team app', request: async () => ({ method: 'DELETE', path: `/v1/apps/${(await teamApp()).id}` }), expected: [401, 404, 204, 204, 403, 403, 404] },
  { route: 'POST rotate-key', request: async () => ({ method: 'POST', path: `/v1/apps/${(await teamApp()).id}/rotate-key` }), expected: [401, 404, 200, 200, 403, 403, 404] },
  { route: 'GET appearance', request: () => ({ method: 'GET', path: `/v1/apps/${apps.team.id}/appearance` }), expected: [401, 404, 200, 200, 200, 200, 404] },
  { route: 'PATCH appearance', request: () => ({ method: 'PATCH', path: `/v1/apps/${apps.team.id}/appearance`, body: { primaryColor: '#112233' } }), expected: [401, 404, 200, 200, 403, 403, 404] },
  { route: 'GET prompt-settings', request: () => ({ method: 'GET', path: `/v1/apps/${apps.team.id}/prompt-settings` }), expected: [401, 404, 200, 200, 200, 200, 404] },
  { route: 'PATCH prompt-settings', request: () => ({ method: 'PATCH', path: `/v1/apps/${apps.team.id}/prompt-settings`, body: { maxTokens: 200 } }), expected: [401, 404, 200, 200, 403, 403, 404] },
  { route: 'GET settings', request: () => ({ method: 'GET', path: `/v1/apps/${apps.team.id}/settings` }), expected: [401, 404, 200, 200, 200, 200, 404] },
  { route: 'PUT settings', request: () => ({ method: 'PUT', path: `/v1/apps/${apps.team.id}/settings`, body: { settings: { k: 'v' } } }), expected: [401, 404, 200, 200, 403, 403, 404] },
  { route: 'GET restricted-urls', request: () => ({ method: 'GET', path: `/v1/apps/${apps.team.id}/restricted-urls` }), expected: [401, 404, 200, 200, 200, 200, 404] },
  { route: 'POST restricted-url', request: () => ({ method: 'POST', path: `/v1/apps/${apps.team.id}/restricted-urls`, body: { url: `https://${randomUUID()}.example` } }), expected: [401, 404, 201, 201, 403, 403, 404] },
  { route: 'DELETE restricted-url', request: async () => { const app = await teamApp(); return { method: 'DELETE', path: `/v1/apps/${app.id}/restricted-urls/${app.urlId}` }; }, expected: [401, 404, 204, 204, 403, 403, 404] },
  { route: 'GET domains', request: () => ({ method: 'GET', path: `/v1/apps/${apps.team.id}/domains` }), expected: [401, 404, 200, 200, 200, 200, 404] },
  { route: 'POST domain', request: () => ({ method: 'POST', path: `/v1/apps/${apps.team.id}/domains`, body: { domain: `${randomUUID()}.example` } }), expected: [401, 404, 201, 201, 403, 403, 404] },
  { route: 'POST domain verify', request: () => ({ method: 'POST', path: `/v1/apps/${apps.team.id}/domains/${apps.team.domainId}/verify` }), expected: [401, 404, 200, 200, 403, 403, 404] },
  { route: 'DELETE domain', request: async () => { const app = await teamApp(); return { method: 'DELETE', path: `/v1/apps/${app.id}/domains/${app.domainId}` }; }, expected: [401, 404, 204, 204, 403, 403, 404] },
];

describe('apps through the gateway', () => {
  for (const row of MATRIX) {
    it(row.route, async () => {
      const actual: number[] = [];
      for (const actor of ACTORS) {
        const cell = await row.request();
        const res = await send(cell.method, cell.path, tokens[actor], cell.body);
        actual.push(res.status);
        if (res.status >= 400)
          expect(res.type, `${row.route} as ${actor}`).toMatch(/application\/problem\+json/);
      }
      expect(Object.fromEntries(ACTORS.map((a, i) => [a, actual[i]]))).toEqual(
        Object.fromEntries(ACTORS.map((a, i) => [a, row.expected[i]])),
      );
    });
  }
});

describe('the public widget API through the gateway', () => {
  const base = () => `/v1/public/apps/${apps.team.publicKey}`;
  const page = { origin: SITE };
  const admit = async (publicKey: string) => {
    const res = await send('POST', `/v1/public/apps/${publicKey}/visitor`, undefined, undefined, page);
    expect(res.status).toBe(201);
    return res.body.token as string;
  };

  it('answers a visitor on the app’s origin, and refuses every wrong visitor, token or origin', async () => {
    const visitor = await admit(apps.team.publicKey);
    const started = await send('POST', `${base()}/sessions`, visitor, {}, page);
    expect(started.status).toBe(201);
    const sessionId = started.body.session.id as string;
    const session = `${base()}/sessions/${sessionId}`;
    expect((await send('GET', session, visitor, undefined, page)).status).toBe(200);

    // Another visitor of the same app: the session is not there for them.
    const other = await admit(apps.team.publicKey);
    expect((await send('GET', session, other, undefined, page)).status).toBe(404);
    expect((await send('POST', `${session}/messages`, other, { text: 'hi' }, page)).status).toBe(404);
    // A visitor of another app (its token names that app): not a visitor of this one.
    const elsewhere = await teamApp();
    const foreign = await admit(elsewhere.publicKey);
    expect((await send('GET', session, foreign, undefined, page)).status).toBe(401);
    expect((await send('POST', `${base()}/sessions`, foreign, {}, page)).status).toBe(401);
    // No token, a forged one, an account's access token.
    expect((await send('GET', session, undefined, undefined, page)).status).toBe(401);
    expect((await send('GET', session, `${visitor.slice(0, -3)}abc`, undefined, page)).status).toBe(401);
    expect((await send('GET', session, tokens.teamOwner, undefined, page)).status).toBe(401);
    // The right visitor from the wrong origin, or none.
    for (const origin of ['https://evil.example', 'http://shop.example.com']) {
      const refused = await send('GET', session, visitor, undefined, { origin });
      expect(refused.status).toBe(403);
      expect(refused.type).toMatch(/application\/problem\+json/);
    }
    expect((await send('GET', session, visitor)).status).toBe(403);
    expect(
      (await send('POST', `${base()}/visitor`, undefined, undefined, { origin: 'https://evil.example' }))
        .status,
    ).toBe(403);
    // A visitor token is no access token for the rest of the API.
    expect((await send('GET', '/v1/sessions', visitor)).status).toBe(401);
    expect((await send('GET', `/v1/apps/${apps.team.id}`, visitor)).status).toBe(401);
  });

  it('lets CORS through for the app’s origin only, never with credentials', async () => {
    const preflight = (origin: string) =>
      fetch(`${gateway.url}${base()}/visitor`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization',
        },
      });
    const allowed = await preflight(SITE);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(SITE);
    expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();
    const refused = await preflight('https://evil.example');
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    const config = await fetch(`${gateway.url}${base()}/config`, { headers: page });
    expect(config.headers.get('access-control-allow-origin')).toBe(SITE);
    expect(config.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('serves /widget.js with an ETag that other sites may load', async () => {
    const first = await fetch(`${gateway.url}/widget.js`);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toMatch(/javascript/);
    expect(first.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(await first.text()).toContain('/v1/public/apps/');
    const etag = first.headers.get('etag')!;
    const again = await fetch(`${gateway.url}/widget.js`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
  });
});
