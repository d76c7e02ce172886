import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { streamNameFor } from '@conduit/bus';
import {
  type ConversationHarness,
  startConversationHarness,
} from '@conduit/conversation/test/fixtures/conversation-harness.js';
import { type GatewayHarness, startGateway } from '@conduit/gateway/test/fixtures/gateway-harness.js';
import {
  type IdentityHarness,
  registerUser,
  startIdentityHarness,
} from '@conduit/identity/test/fixtures/identity-harness.js';
import {
  type KnowledgeHarness,
  startKnowledgeHarness,
} from '@conduit/knowledge-base/test/fixtures/knowledge-harness.js';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The acceptance test of apps on websites, in a real browser: a host page on an allowed origin
// loads /widget.js from the gateway, opens the chat, asks, and sees the bot's answer stream in
// from a knowledge base (conversation's offline extractive provider quotes its passages); the
// same page on another origin gets no chat. Screenshots go to e2e/test-artifacts/.

const ARTIFACTS = new URL('../test-artifacts/', import.meta.url).pathname;
const RETURNS = `# Returns

Orders can be returned within 30 days of delivery for a full refund.
Refunds are paid to the original card within 5 business days.`;

let identity: IdentityHarness;
let knowledge: KnowledgeHarness;
let conversation: ConversationHarness;
let gateway: GatewayHarness;
let browser: Browser;
const hosts: Server[] = [];

/** A customer's web site: one page that embeds the app. */
async function hostSite(publicKey: string): Promise<string> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html><head><title>Shop</title></head>
<body style="font-family: sans-serif"><h1>Acme Shop</h1><p>Welcome to our shop.</p>
<script src="${gateway.url}/widget.js" data-app="${publicKey}" async></script></body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hosts.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function call(method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(`${gateway.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  expect(res.status, `${method} ${path}: ${text}`).toBeLessThan(300);
  return text ? JSON.parse(text) : null;
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  identity = await startIdentityHarness();
  const identityUrl = await identity.app.listen({ port: 0, host: '127.0.0.1' });
  knowledge = await startKnowledgeHarness({
    identityTokens: true,
    conversationSessions: false,
    env: { IDENTITY_URL: identityUrl, BUS_NAMESPACE: identity.namespace },
  });
  conversation = await startConversationHarness({
    namespace: identity.namespace,
    usage: false,
    identityJwks: true,
    env: { IDENTITY_URL: identityUrl },
  });
  gateway = await startGateway({
    IDENTITY_URL: identityUrl,
    KNOWLEDGE_BASE_URL: await knowledge.app.listen({ port: 0, host: '127.0.0.1' }),
    CONVERSATION_URL: await conversation.listen(),
    RATE_LIMIT_MAX: '100000',
  });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-background-networking'],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  for (const host of hosts) host.close();
  await gateway?.close();
  await conversation?.close();
  await knowledge?.close();
  await identity?.bus.jsm.streams.delete(streamNameFor(identity.namespace, 'knowledge')).catch(() => {});
  await identity?.close();
});

describe('the chat widget on a web page', () => {
  it('answers from the knowledge base on an allowed origin and is refused on another', async () => {
    const owner = await registerUser(identity);
    const token = owner.accessToken;
    const collection = await call('POST', '/v1/kb/collections', token, { name: 'Help center' });
    const document = await call('POST', `/v1/kb/collections/${collection.id}/documents`, token, {
      name: 'Returns policy',
      text: RETURNS,
    });
    await expect
      .poll(
        async () =>
          (await call('GET', `/v1/kb/collections/${collection.id}/documents/${document.id}`, token)).status,
        { timeout: 30_000 },
      )
      .toBe('indexed');
    // The bot answers from the help center: its script picks the knowledge base when a chat starts.
    const bot = await call('POST', '/v1/bots', token, { name: 'Shop helper', script: 'USE KB "help"' });
    await call('PUT', `/v1/bots/${bot.id}/config`, token, {
      items: [{ key: 'kb.help', value: collection.id }],
    });

    const app = await call('POST', '/v1/apps', token, {
      name: 'Acme help',
      botId: bot.id,
      status: 'published',
    });
    await call('PATCH', `/v1/apps/${app.id}/appearance`, token, {
      primaryColor: '#0f766e',
      welcomeText: 'Hi! Ask me about orders and returns.',
      suggestedQuestions: ['How long do I have to return an order?'],
    });
    const allowed = await hostSite(app.publicKey);
    const elsewhere = await hostSite(app.publicKey);
    await call('POST', `/v1/apps/${app.id}/restricted-urls`, token, { url: `${allowed}/` });

    const page = await browser.newPage({ viewport: { width: 1000, height: 720 } });
    const streams: string[] = [];
    page.on('response', (response) => {
      if (response.url().endsWith('/messages')) streams.push(response.headers()['content-type'] ?? '');
    });
    await page.goto(`${allowed}/`);
    const launcher = page.locator('#conduit-widget .launcher');
    await launcher.waitFor({ timeout: 20_000 });
    await launcher.click();
    await expect
      .poll(() => page.locator('#conduit-widget .message.bot').first().textContent())
      .toBe('Hi! Ask me about orders and returns.');
    await page.screenshot({ path: `${ARTIFACTS}widget-open.png` });

    await page.locator('#conduit-widget input').fill('How many days do I have to return an order?');
    await page.locator('#conduit-widget input').press('Enter');
    const answer = page.locator('#conduit-widget .message.bot').last();
    await expect.poll(() => answer.textContent(), { timeout: 30_000 }).toMatch(/within 30 days/);
    await expect.poll(() => page.locator('#conduit-widget .streaming').count(), { timeout: 30_000 }).toBe(0);
    expect(await answer.getAttribute('class')).not.toMatch(/failed/);
    expect(streams).toEqual(['text/event-stream; charset=utf-8']);
    await page.screenshot({ path: `${ARTIFACTS}widget-answer.png` });

    // Another origin: the gateway serves the script, but the app refuses the page, so no chat.
    const refused = await browser.newPage({ viewport: { width: 1000, height: 720 } });
    const warnings: string[] = [];
    refused.on('console', (message) => {
      if (message.type() === 'warning') warnings.push(message.text());
    });
    const failed: string[] = [];
    refused.on('requestfailed', (request) => failed.push(request.url()));
    await refused.goto(`${elsewhere}/`);
    await expect.poll(() => warnings.join('\n')).toMatch(/Conduit widget/);
    expect(await refused.locator('#conduit-widget').count()).toBe(0);
    // The browser's preflight was refused, so the config request never went out.
    expect(failed.some((url) => url.endsWith('/config'))).toBe(true);
    await refused.screenshot({ path: `${ARTIFACTS}widget-refused.png` });
    const preflight = await fetch(`${gateway.url}/v1/public/apps/${app.publicKey}/config`, {
      method: 'OPTIONS',
      headers: { origin: elsewhere, 'access-control-request-method': 'GET' },
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  }, 120_000);
});
