import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RpcError, type RpcServer, serveRpc } from '@conduit/bus';
import { workspaceRpc } from '@conduit/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConversationHarness,
  MEMBER_PERMISSIONS,
  startConversationHarness,
} from '../fixtures/conversation-harness.js';
import { startOpenAiServer } from '../fixtures/openai-server.js';

// Apps: managed by their owner or their team's owners and admins, read by team members; the public
// widget API admits visitors from the app's origins only, answers them with the app's prompt
// settings over the bot's, bills the app's owner and keeps each visitor's sessions their own.

let h: ConversationHarness;
let llm: Awaited<ReturnType<typeof startOpenAiServer>>;
let site: Server;
let siteHost: string;
let siteToken = '';
let media: RpcServer;
const orgId = crypto.randomUUID();
const teamId = crypto.randomUUID();
const ALLOWED = 'https://shop.example.com';
const publicMediaId = crypto.randomUUID();
const privateMediaId = crypto.randomUUID();

type Who = Awaited<ReturnType<ConversationHarness['tokens']['mint']>>;
let owner: Who;
let teamAdmin: Who;
let teamMember: Who;
let teamViewer: Who;
let stranger: Who;

async function call(
  who: Who | null,
  method: string,
  url: string,
  payload?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await h.app.inject({
    method: method as 'GET',
    url,
    headers: { ...(who ? who.headers : {}), ...headers },
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
  return res;
}

beforeAll(async () => {
  llm = await startOpenAiServer();
  // A customer's site serving its domain verification file (whatever token the test sets).
  site = createServer((req, res) => {
    if (req.url === '/.well-known/conduit-domain-verification') res.writeHead(200).end(`${siteToken}\n`);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  siteHost = `127.0.0.1:${(site.address() as AddressInfo).port}`;
  h = await startConversationHarness({
    env: { DOMAIN_VERIFY_ALLOW: '127.0.0.1', DOMAIN_VERIFY_TIMEOUT: '3s', APP_VISITOR_RATE_LIMIT: '40' },
  });
  // The workspace service's media look-up, on the real bus (its own tests cover the service).
  media = serveRpc(h.bus, workspaceRpc.describeMedia, 'workspace', async ({ mediaId }) => {
    if (mediaId === publicMediaId)
      return { id: mediaId, contentType: 'image/png', sizeBytes: 10, public: true, usable: true };
    if (mediaId === privateMediaId)
      return { id: mediaId, contentType: 'image/png', sizeBytes: 10, public: false, usable: true };
    throw new RpcError('not_found', 'No such media.');
  });
  owner = await h.tokens.mint({
    orgId,
    teams: { [teamId]: 'owner' },
    perms: [...MEMBER_PERMISSIONS, 'org.manage'],
  });
  teamAdmin = await h.tokens.mint({ orgId, teams: { [teamId]: 'admin' } });
  teamMember = await h.tokens.mint({ orgId, teams: { [teamId]: 'member' } });
  teamViewer = await h.tokens.mint({ orgId, teams: { [teamId]: 'viewer' } });
  stranger = await h.tokens.mint({ orgId: crypto.randomUUID() });
}, 60_000);
afterAll(async () => {
  await media?.stop();
  await h?.close();
  await llm?.close();
  site?.close();
});

async function newBot(who: Who, body: Record<string, unknown> = {}) {
  const res = await call(who, 'POST', '/v1/bots', { name: 'Helper', ...body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

async function newApp(who: Who, body: Record<string, unknown>) {
  const res = await call(who, 'POST', '/v1/apps', { name: 'Site chat', status: 'published', ...body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; publicKey: string; botId: string };
}

async function allow(appId: string, url = ALLOWED) {
  const res = await call(owner, 'POST', `/v1/apps/${appId}/restricted-urls`, { url });
  expect(res.statusCode, res.body).toBe(201);
}

async function visitorToken(publicKey: string, origin = ALLOWED) {
  const res = await call(null, 'POST', `/v1/public/apps/${publicKey}/visitor`, undefined, { origin });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().token as string;
}

describe('apps', () => {
  it('are created for a bot the caller may use, managed by owners and admins, read by members', async () => {
    const botId = await newBot(owner, { teamId });
    const app = await newApp(owner, { botId, teamId });
    expect(app.publicKey).toMatch(/^pk_[\w-]{32}$/);

    for (const who of [teamMember, teamViewer]) {
      expect((await call(who, 'GET', `/v1/apps/${app.id}`)).statusCode).toBe(200);
      expect((await call(who, 'PATCH', `/v1/apps/${app.id}`, { name: 'x' })).statusCode).toBe(403);
      expect((await call(who, 'POST', '/v1/apps', { name: 'x', botId, teamId })).statusCode).toBe(403);
    }
    expect((await call(teamAdmin, 'PATCH', `/v1/apps/${app.id}`, { name: 'Renamed' })).json().name).toBe(
      'Renamed',
    );
    expect((await call(stranger, 'GET', `/v1/apps/${app.id}`)).statusCode).toBe(404);
    expect((await call(stranger, 'GET', `/v1/apps/${crypto.randomUUID()}`)).statusCode).toBe(404);
    expect((await call(stranger, 'GET', '/v1/apps')).json().items).toEqual([]);
    // A bot the caller cannot see is as unknown as a random id.
    const strangersBot = await newBot(stranger);
    expect((await call(owner, 'POST', '/v1/apps', { name: 'x', botId: strangersBot })).statusCode).toBe(404);

    const rotated = await call(owner, 'POST', `/v1/apps/${app.id}/rotate-key`);
    expect(rotated.json().publicKey).not.toBe(app.publicKey);
    expect((await call(owner, 'DELETE', `/v1/apps/${app.id}`)).statusCode).toBe(204);
    expect((await call(owner, 'GET', `/v1/apps/${app.id}`)).statusCode).toBe(404);
  });

  it('keep an appearance with hex colors and public image media, prompt settings and settings', async () => {
    const app = await newApp(owner, { botId: await newBot(owner) });
    const bad = await call(owner, 'PATCH', `/v1/apps/${app.id}/appearance`, { primaryColor: 'red' });
    expect(bad.statusCode).toBe(400);
    const look = await call(owner, 'PATCH', `/v1/apps/${app.id}/appearance`, {
      primaryColor: '#0a7',
      welcomeText: 'Ask me about orders',
      suggestedQuestions: ['Where is my order?'],
      logoMediaId: publicMediaId,
    });
    expect(look.statusCode, look.body).toBe(200);
    expect(look.json()).toMatchObject({
      primaryColor: '#0a7',
      logoMediaId: publicMediaId,
      launcherPosition: 'bottom-right',
    });
    const privateLogo = await call(owner, 'PATCH', `/v1/apps/${app.id}/appearance`, {
      avatarMediaId: privateMediaId,
    });
    expect(privateLogo.statusCode).toBe(422);
    const unknown = await call(owner, 'PATCH', `/v1/apps/${app.id}/appearance`, {
      avatarMediaId: crypto.randomUUID(),
    });
    expect(unknown.statusCode).toBe(422);

    const prompt = await call(owner, 'PATCH', `/v1/apps/${app.id}/prompt-settings`, { temperature: 3 });
    expect(prompt.statusCode).toBe(400);
    const settings = await call(owner, 'PUT', `/v1/apps/${app.id}/settings`, {
      settings: { greeting: 'hi', 'a.b': '1' },
    });
    expect(settings.json()).toEqual({ settings: { greeting: 'hi', 'a.b': '1' } });
    await call(owner, 'PUT', `/v1/apps/${app.id}/settings`, { settings: { greeting: 'hello' } });
    expect((await call(owner, 'GET', `/v1/apps/${app.id}/settings`)).json()).toEqual({
      settings: { greeting: 'hello' },
    });

    await allow(app.id);
    const config = await call(null, 'GET', `/v1/public/apps/${app.publicKey}/config`, undefined, {
      origin: ALLOWED,
    });
    expect(config.statusCode, config.body).toBe(200);
    expect(config.json()).toMatchObject({
      welcomeText: 'Ask me about orders',
      suggestedQuestions: ['Where is my order?'],
      logoUrl: `/v1/public/media/${publicMediaId}`,
    });
  });

  it('verify a custom domain over HTTP, which then may embed the app', async () => {
    const app = await newApp(owner, { botId: await newBot(owner) });
    const added = await call(owner, 'POST', `/v1/apps/${app.id}/domains`, { domain: siteHost });
    expect(added.statusCode, added.body).toBe(201);
    const domain = added.json();
    expect(domain.status).toBe('pending');
    const origin = `http://${siteHost}`;
    expect(
      (await call(null, 'POST', `/v1/public/apps/${app.publicKey}/visitor`, undefined, { origin }))
        .statusCode,
    ).toBe(403);

    siteToken = 'not the token';
    const failed = await call(owner, 'POST', `/v1/apps/${app.id}/domains/${domain.id}/verify`);
    expect(failed.json()).toMatchObject({ status: 'failed', verifiedAt: null });
    expect(failed.json().lastError).toContain('does not hold');

    siteToken = domain.verificationToken;
    const verified = await call(owner, 'POST', `/v1/apps/${app.id}/domains/${domain.id}/verify`);
    expect(verified.json()).toMatchObject({ status: 'verified', lastError: null });
    expect(verified.json().verifiedAt).toBeTruthy();
    expect(
      (await call(null, 'POST', `/v1/public/apps/${app.publicKey}/visitor`, undefined, { origin }))
        .statusCode,
    ).toBe(201);
    // A member may look but not verify; a stranger meets nothing.
    expect((await call(stranger, 'POST', `/v1/apps/${app.id}/domains/${domain.id}/verify`)).statusCode).toBe(
      404,
    );
  });
});

describe('the public widget API', () => {
  it('answers only the app’s origins, with CORS for them and never credentials', async () => {
    const app = await newApp(owner, { botId: await newBot(owner) });
    await allow(app.id, `${ALLOWED}/help`);
    const page = { origin: ALLOWED, 'x-widget-page': '/help/faq' };
    const ok = await call(null, 'GET', `/v1/public/apps/${app.publicKey}/config`, undefined, page);
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(ok.headers['access-control-allow-credentials']).toBeUndefined();
    const outsidePath = await call(null, 'GET', `/v1/public/apps/${app.publicKey}/config`, undefined, {
      origin: ALLOWED,
      'x-widget-page': '/checkout',
    });
    expect(outsidePath.statusCode).toBe(403);
    const evil = await call(null, 'GET', `/v1/public/apps/${app.publicKey}/config`, undefined, {
      origin: 'https://evil.example',
    });
    expect(evil.statusCode).toBe(403);
    expect(evil.headers['content-type']).toContain('application/problem+json');
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
    expect((await call(null, 'GET', `/v1/public/apps/${app.publicKey}/config`)).statusCode).toBe(403);

    const preflight = await call(null, 'OPTIONS', `/v1/public/apps/${app.publicKey}/visitor`, undefined, {
      origin: ALLOWED,
      'access-control-request-method': 'POST',
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-headers']).toContain('authorization');
    const evilPreflight = await call(null, 'OPTIONS', `/v1/public/apps/${app.publicKey}/visitor`, undefined, {
      origin: 'https://evil.example',
      'access-control-request-method': 'POST',
    });
    expect(evilPreflight.statusCode).toBe(403);

    // Draft and disabled apps are not there at all.
    await call(owner, 'PATCH', `/v1/apps/${app.id}`, { status: 'disabled' });
    expect(
      (await call(null, 'GET', `/v1/public/apps/${app.publicKey}/config`, undefined, page)).statusCode,
    ).toBe(404);
    expect((await call(null, 'GET', '/v1/public/apps/not-a-key/config', undefined, page)).statusCode).toBe(
      404,
    );
  });

  it('lets a visitor chat (JSON and SSE) with the app’s prompt settings, billed to the app’s owner', async () => {
    const provider = await call(owner, 'POST', '/v1/providers', {
      name: 'Local',
      baseUrl: llm.url,
      apiKey: 'sk-local',
    });
    expect(provider.statusCode, provider.body).toBe(201);
    const model = await call(owner, 'POST', '/v1/models', { providerId: provider.json().id, name: 'echo' });
    expect(model.statusCode, model.body).toBe(201);
    // The bot is the team's; the app is the owner's own: the owner pays for its visitors.
    const botId = await newBot(owner, { teamId });
    await call(owner, 'PUT', `/v1/bots/${botId}/config`, {
      items: [{ key: 'system-prompt', value: 'The bot itself' }],
    });
    const app = await newApp(owner, { botId });
    await allow(app.id);
    const prompt = await call(owner, 'PATCH', `/v1/apps/${app.id}/prompt-settings`, {
      systemPrompt: 'You are the shop assistant.',
      model: 'echo',
      temperature: 0.2,
      maxTokens: 300,
    });
    expect(prompt.statusCode, prompt.body).toBe(200);

    const token = await visitorToken(app.publicKey);
    const visitor = { origin: ALLOWED, authorization: `Bearer ${token}` };
    const started = await call(null, 'POST', `/v1/public/apps/${app.publicKey}/sessions`, {}, visitor);
    expect(started.statusCode, started.body).toBe(201);
    const sessionId = started.json().session.id as string;
    expect(started.json().session.channel).toBe('widget');

    h.usage.calls.length = 0;
    const answered = await call(
      null,
      'POST',
      `/v1/public/apps/${app.publicKey}/sessions/${sessionId}/messages`,
      { text: 'Hello' },
      visitor,
    );
    expect(answered.statusCode, answered.body).toBe(201);
    expect(answered.json().messages.at(-1).content).toBe('You said: Hello.');
    const sent = llm.requests.at(-1)!.body as unknown as Record<string, unknown> & {
      messages: { role: string; content: string }[];
    };
    expect(sent.messages[0]).toEqual({ role: 'system', content: 'You are the shop assistant.' });
    expect(sent).toMatchObject({ temperature: 0.2, max_tokens: 300 });
    expect(h.usage.calls[0]!.subject).toEqual({ type: 'user', id: owner.userId });

    const streamed = await call(
      null,
      'POST',
      `/v1/public/apps/${app.publicKey}/sessions/${sessionId}/messages`,
      { text: 'Streaming' },
      { ...visitor, accept: 'text/event-stream' },
    );
    expect(streamed.statusCode).toBe(200);
    expect(streamed.headers['content-type']).toContain('text/event-stream');
    expect(streamed.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(streamed.body).toContain('event: delta');
    expect(streamed.body).toContain('event: done');
    expect(streamed.body).toContain('You said: Streaming.');

    const messages = await call(
      null,
      'GET',
      `/v1/public/apps/${app.publicKey}/sessions/${sessionId}/messages`,
      undefined,
      visitor,
    );
    expect(messages.json().items).toHaveLength(4);
  });

  it('keeps each visitor to their own sessions and each token to its own app', async () => {
    const app = await newApp(owner, { botId: await newBot(owner) });
    const other = await newApp(owner, { botId: await newBot(owner) });
    await allow(app.id);
    await allow(other.id);
    const first = { origin: ALLOWED, authorization: `Bearer ${await visitorToken(app.publicKey)}` };
    const second = { origin: ALLOWED, authorization: `Bearer ${await visitorToken(app.publicKey)}` };
    const started = await call(null, 'POST', `/v1/public/apps/${app.publicKey}/sessions`, {}, first);
    const sessionId = started.json().session.id as string;
    const base = `/v1/public/apps/${app.publicKey}`;
    expect((await call(null, 'GET', `${base}/sessions/${sessionId}`, undefined, first)).statusCode).toBe(200);
    expect((await call(null, 'GET', `${base}/sessions/${sessionId}`, undefined, second)).statusCode).toBe(
      404,
    );
    expect(
      (await call(null, 'GET', `${base}/sessions/${sessionId}/messages`, undefined, second)).statusCode,
    ).toBe(404);
    expect(
      (await call(null, 'POST', `${base}/sessions/${sessionId}/messages`, { text: 'hi' }, second)).statusCode,
    ).toBe(404);
    expect((await call(null, 'GET', `${base}/sessions`, undefined, second)).json().items).toEqual([]);
    // A token of another app, a forged one, none: 401.
    const foreign = { origin: ALLOWED, authorization: `Bearer ${await visitorToken(other.publicKey)}` };
    expect((await call(null, 'GET', `${base}/sessions/${sessionId}`, undefined, foreign)).statusCode).toBe(
      401,
    );
    expect((await call(null, 'GET', `${base}/sessions`, undefined, { origin: ALLOWED })).statusCode).toBe(
      401,
    );
    const forged = { origin: ALLOWED, authorization: `${first.authorization.slice(0, -4)}AAAA` };
    expect((await call(null, 'GET', `${base}/sessions`, undefined, forged)).statusCode).toBe(401);
    // An account's access token is not a visitor token, and a visitor token is not an access token.
    expect((await call(owner, 'GET', `${base}/sessions`, undefined, { origin: ALLOWED })).statusCode).toBe(
      401,
    );
    expect(
      (await call(null, 'GET', '/v1/sessions', undefined, { authorization: first.authorization })).statusCode,
    ).toBe(401);
    // The app's owner does not see the visitor's session among their own.
    expect((await call(owner, 'GET', `/v1/sessions/${sessionId}`)).statusCode).toBe(404);
  });

  it('limits requests per visitor (and per address before a token), with Retry-After', async () => {
    const app = await newApp(owner, { botId: await newBot(owner) });
    await allow(app.id);
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 45; i++) {
      const res = await call(null, 'GET', `/v1/public/apps/${app.publicKey}/config`, undefined, {
        origin: ALLOWED,
      });
      statuses.push(res.statusCode);
      if (res.statusCode === 429) limited ??= res;
    }
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(40);
    expect(limited?.headers['retry-after']).toBeTruthy();
    expect(limited?.headers['content-type']).toContain('application/problem+json');
  });
});
