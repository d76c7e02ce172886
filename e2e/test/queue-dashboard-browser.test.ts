import { mkdirSync } from 'node:fs';
import { type GatewayHarness, startGateway } from '@conduit/gateway/test/fixtures/gateway-harness.js';
import { createTokenMint, localServices, type TokenMint, testRedisPrefix } from '@conduit/testing';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The operators' queue dashboard in a real browser: a platform admin opens the one-time link, the
// page runs under its own content policy (its scripts load, nothing is blocked), shows the
// services' queues and the failed job, and retries it. Screenshots go to e2e/test-artifacts/.

const ARTIFACTS = new URL('../test-artifacts/', import.meta.url).pathname;
const QUEUE = 'dashboard-browser';
let mint: TokenMint;
let gateway: GatewayHarness;
let connection: Redis;
let queue: Queue;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  mint = await createTokenMint([]);
  const prefix = testRedisPrefix();
  gateway = await startGateway(
    { REDIS_KEY_PREFIX: prefix, IDENTITY_URL: 'http://127.0.0.1:9' },
    mint.verifier,
  );
  connection = new Redis(localServices.redisUrl, { maxRetriesPerRequest: null });
  queue = new Queue(QUEUE, { connection, prefix: `${prefix}bull` });
  const worker = new Worker(
    QUEUE,
    async () => {
      throw new Error('failed on purpose for the dashboard');
    },
    { connection, prefix: `${prefix}bull`, autorun: false },
  );
  const failed = new Promise((resolve) => worker.once('failed', resolve));
  await queue.add('send-report', { reportId: 'r-1' }, { attempts: 1 });
  worker.run();
  await failed;
  await worker.close();
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-background-networking'],
  });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await queue?.obliterate({ force: true }).catch(() => {});
  await queue?.close();
  connection?.disconnect();
  await gateway?.close();
});

describe('the queue dashboard in a browser', () => {
  it("shows a platform admin every service's queue and retries a failed job", async () => {
    const { headers } = await mint.mint({ platformAdmin: true });
    const ticket = await fetch(`${gateway.url}/v1/admin/queue-dashboard/tickets`, {
      method: 'POST',
      headers,
    });
    const { url } = (await ticket.json()) as { url: string };

    const page = await browser.newPage();
    const blocked: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy|Refused/.test(message.text()))
        blocked.push(message.text());
    });
    await page.goto(`${gateway.url}${url}`);
    // The ticket has left the address bar.
    expect(new URL(page.url()).pathname).toBe('/admin/queues/');
    expect(new URL(page.url()).search).toBe('');
    await page.getByText(QUEUE).first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: `${ARTIFACTS}queue-dashboard.png`, fullPage: true });

    await page.goto(`${gateway.url}/admin/queues/queue/${QUEUE}?status=failed`);
    await page.getByText('failed on purpose for the dashboard').first().waitFor({ timeout: 30_000 });
    await page.screenshot({ path: `${ARTIFACTS}queue-dashboard-failed.png`, fullPage: true });
    await page.getByRole('button', { name: 'Retry all' }).click();
    // The dashboard asks before acting on every failed job.
    await page.getByRole('button', { name: 'Confirm' }).click({ timeout: 10_000 });
    await expect.poll(async () => (await queue.getJobCounts('failed')).failed, { timeout: 20_000 }).toBe(0);
    // Only the fonts a stylesheet asks of another site are refused; the page's own scripts load.
    expect(blocked.filter((text) => !text.includes('fonts.googleapis.com'))).toEqual([]);
    await page.close();
  });

  it('shows nothing to a browser without a session', async () => {
    const page = await browser.newPage();
    const answer = await page.goto(`${gateway.url}/admin/queues/`);
    expect(answer?.status()).toBe(401);
    expect(await page.content()).not.toContain(QUEUE);
    await page.close();
  });
});
