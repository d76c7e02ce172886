import { randomUUID } from 'node:crypto';
import { type RpcServer, serveRpc } from '@conduit/bus';
import { type GlobalSettings, getGlobalSettings, identityEvents } from '@conduit/contracts';
import { createLogger } from '@conduit/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlatformDefaultModel } from '../../src/domain/llm/platform-default-model.js';
import { type ConversationHarness, startConversationHarness } from '../fixtures/conversation-harness.js';
import { startOpenAiServer } from '../fixtures/openai-server.js';

/**
 * The platform's default chat model (identity's global settings) for bots that name none. Identity
 * is stood in for by a server of rpc.identity.settings.get on the test's own bus namespace.
 */
let h: ConversationHarness;
let llm: Awaited<ReturnType<typeof startOpenAiServer>>;
let settingsServer: RpcServer;
let admin: Awaited<ReturnType<ConversationHarness['tokens']['mint']>>;
const settingsCalls: number[] = [];
const settings: GlobalSettings = {
  siteName: 'Conduit',
  defaultPlan: 'free',
  signUpOpen: true,
  defaultModel: 'echo',
};

beforeAll(async () => {
  llm = await startOpenAiServer();
  h = await startConversationHarness();
  settingsServer = serveRpc(h.bus, getGlobalSettings, 'identity', async () => {
    settingsCalls.push(Date.now());
    return settings;
  });
  admin = await h.tokens.mint({
    orgId: crypto.randomUUID(),
    perms: ['org.manage', 'bots.read', 'bots.write'],
  });
  const provider = await h.app.inject({
    method: 'POST',
    url: '/v1/providers',
    headers: admin.headers,
    payload: { name: 'Local', baseUrl: llm.url, apiKey: 'sk-default-model' },
  });
  expect(provider.statusCode, provider.body).toBe(201);
  const model = await h.app.inject({
    method: 'POST',
    url: '/v1/models',
    headers: admin.headers,
    payload: { providerId: provider.json().id, name: 'echo' },
  });
  expect(model.statusCode, model.body).toBe(201);
}, 60_000);
afterAll(async () => {
  await settingsServer?.stop();
  await h?.close();
  await llm?.close();
});

/** A reply of a fresh bot, configured with `llm-model` when given; answers the model it names. */
async function replyModel(botModel?: string): Promise<string> {
  const bot = await h.app.inject({
    method: 'POST',
    url: '/v1/bots',
    headers: admin.headers,
    payload: { name: 'Bot' },
  });
  const botId = bot.json().id;
  if (botModel)
    await h.app.inject({
      method: 'PUT',
      url: `/v1/bots/${botId}/config`,
      headers: admin.headers,
      payload: { items: [{ key: 'llm-model', value: botModel }] },
    });
  const session = await h.app.inject({
    method: 'POST',
    url: `/v1/bots/${botId}/sessions`,
    headers: admin.headers,
    payload: {},
  });
  const reply = await h.app.inject({
    method: 'POST',
    url: `/v1/sessions/${session.json().session.id}/messages`,
    headers: admin.headers,
    payload: { text: 'hello' },
  });
  expect(reply.statusCode, reply.body).toBe(201);
  return reply.json().messages.find((m: { sender: string }) => m.sender === 'bot').model;
}

describe('the default chat model', () => {
  it("answers with the platform's default model when the bot names none", async () => {
    expect(await replyModel()).toBe('echo');
    expect(llm.requests.at(-1)!.body.model).toBe('echo');
  });

  it("keeps a bot's own model over the default", async () => {
    expect(await replyModel('offline')).toBe('offline');
  });

  it('asks identity once for many replies (the answer is kept for a while)', async () => {
    const before = settingsCalls.length;
    for (let i = 0; i < 3; i++) expect(await replyModel()).toBe('echo');
    expect(settingsCalls.length - before).toBeLessThanOrEqual(1);
  });
});

describe('a changed default model', () => {
  it('is used by the next turn, without waiting for the cached answer to age', async () => {
    const provider = (
      await h.app.inject({ method: 'GET', url: '/v1/providers', headers: admin.headers })
    ).json().items[0];
    const added = await h.app.inject({
      method: 'POST',
      url: '/v1/models',
      headers: admin.headers,
      payload: { providerId: provider.id, name: 'no-usage' },
    });
    expect(added.statusCode, added.body).toBe(201);
    expect(await replyModel()).toBe('echo');

    // A platform admin changes it: identity answers the new value and announces it.
    settings.defaultModel = 'no-usage';
    const callsBefore = settingsCalls.length;
    try {
      const envelope = identityEvents.settingsChanged.envelope.parse({
        id: randomUUID(),
        subject: identityEvents.settingsChanged.subject,
        version: identityEvents.settingsChanged.version,
        occurredAt: new Date().toISOString(),
        actor: null,
        data: { changed: ['defaultModel'], settings },
      });
      await h.bus.ensureStream('identity');
      await h.bus.js.publish(h.bus.subject(envelope.subject), JSON.stringify(envelope), {
        msgID: envelope.id,
      });
      // Delivered to the service's subscription within moments (the cache keeps answers 30 s).
      const deadline = Date.now() + 5_000;
      while ((await h.deps.defaultModel.current()) !== 'no-usage' && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await replyModel()).toBe('no-usage');
      expect(llm.requests.at(-1)!.body.model).toBe('no-usage');
      // The event carried the value: identity was not asked again.
      expect(settingsCalls.length).toBe(callsBefore);
    } finally {
      settings.defaultModel = 'echo';
    }
  });

  it('is not undone by an older event delivered late', () => {
    const model = new PlatformDefaultModel(h.bus, {
      timeoutMs: 1_000,
      log: createLogger({ service: 'default-model-test', level: 'silent' }),
    });
    model.applyChange('2026-01-02T00:00:00.000Z', 'newer');
    model.applyChange('2026-01-01T00:00:00.000Z', 'older');
    return expect(model.current()).resolves.toBe('newer');
  });
});

describe('PlatformDefaultModel', () => {
  const log = createLogger({ service: 'default-model-test', level: 'silent' });

  it('answers what identity says, asking once for concurrent callers', async () => {
    const before = settingsCalls.length;
    const model = new PlatformDefaultModel(h.bus, { timeoutMs: 5_000, log });
    expect(await Promise.all([model.current(), model.current(), model.current()])).toEqual([
      'echo',
      'echo',
      'echo',
    ]);
    expect(settingsCalls.length - before).toBe(1);
  });

  it('answers null (the offline model) when identity does not answer, without throwing', async () => {
    await settingsServer.stop();
    try {
      const model = new PlatformDefaultModel(h.bus, { timeoutMs: 1_000, log });
      expect(await model.current()).toBeNull();
      // Not asked again on every call.
      const started = Date.now();
      expect(await model.current()).toBeNull();
      expect(Date.now() - started).toBeLessThan(500);
    } finally {
      settingsServer = serveRpc(h.bus, getGlobalSettings, 'identity', async () => settings);
    }
  });
});
