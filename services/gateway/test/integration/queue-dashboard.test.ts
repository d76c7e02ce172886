import { createTokenMint, localServices, type TokenMint, testRedisPrefix } from '@conduit/testing';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayHarness, startGateway } from '../fixtures/gateway-harness.js';

// The operators' queue dashboard: platform admins get a one-time link, the link becomes a
// same-site session cookie, and with it the dashboard shows and acts on every service's queues.

const QUEUE = 'dashboard-test';
let mint: TokenMint;
let gateway: GatewayHarness;
let connection: Redis;
let queue: Queue;
let failedJobId: string;

beforeAll(async () => {
  mint = await createTokenMint([]);
  const prefix = testRedisPrefix();
  gateway = await startGateway(
    { REDIS_KEY_PREFIX: prefix, IDENTITY_URL: 'http://127.0.0.1:9' },
    mint.verifier,
  );
  connection = new Redis(localServices.redisUrl, { maxRetriesPerRequest: null });
  // A queue as a service keeps it: under `<REDIS_KEY_PREFIX>bull`, with a job that failed.
  queue = new Queue(QUEUE, { connection, prefix: `${prefix}bull` });
  await queue.add('waits', { n: 1 });
  const worker = new Worker(
    QUEUE,
    async () => {
      throw new Error('the job failed on purpose');
    },
    { connection, prefix: `${prefix}bull`, autorun: false },
  );
  const failed = new Promise<string>((resolve) => worker.once('failed', (job) => resolve(job!.id!)));
  await queue.add('fails', { n: 2 }, { attempts: 1 });
  await queue.remove((await queue.getWaiting()).find((job) => job.name === 'waits')!.id!);
  worker.run();
  failedJobId = await failed;
  await worker.close();
  await queue.add('waits', { n: 3 });
}, 60_000);
afterAll(async () => {
  await queue?.obliterate({ force: true }).catch(() => {});
  await queue?.close();
  connection?.disconnect();
  await gateway?.close();
});

const askForTicket = (headers: Record<string, string> = {}) =>
  fetch(`${gateway.url}/v1/admin/queue-dashboard/tickets`, { method: 'POST', headers });

/** Opens a fresh link as a platform admin and answers the session cookie it sets. */
async function adminSession(): Promise<string> {
  const { headers } = await mint.mint({ platformAdmin: true });
  const { url } = (await (await askForTicket(headers)).json()) as { url: string };
  const opened = await fetch(`${gateway.url}${url}`, { redirect: 'manual' });
  expect(opened.status).toBe(303);
  return opened.headers.get('set-cookie')!.split(';')[0]!;
}

describe('the way in', () => {
  it('gives a link to platform admins only', async () => {
    expect((await askForTicket()).status).toBe(401);
    const user = await mint.mint();
    const refused = await askForTicket(user.headers);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');

    const admin = await mint.mint({ platformAdmin: true });
    const answer = await askForTicket(admin.headers);
    expect(answer.status).toBe(201);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    const body = (await answer.json()) as { url: string; expiresInSeconds: number };
    expect(body.url).toMatch(/^\/admin\/queues\/\?ticket=[\w-]{32}$/);
    expect(body.expiresInSeconds).toBe(60);
  });

  it("turns a link into a same-site, HttpOnly session once, until the token's expiry, and takes the ticket out of the address", async () => {
    const { headers } = await mint.mint({ platformAdmin: true });
    const { url } = (await (await askForTicket(headers)).json()) as { url: string };
    const opened = await fetch(`${gateway.url}${url}`, { redirect: 'manual' });
    expect(opened.status).toBe(303);
    expect(opened.headers.get('location')).toBe('/admin/queues/');
    const cookie = opened.headers.get('set-cookie')!;
    const [, maxAge] = cookie.match(
      /^conduit_queue_dashboard=[\w-]{32}; Path=\/admin\/queues; HttpOnly; SameSite=Strict; Max-Age=(\d+)$/,
    )!;
    // No longer than the token that asked for it (10 minutes here), though the setting says an hour.
    expect(Number(maxAge)).toBeGreaterThan(500);
    expect(Number(maxAge)).toBeLessThanOrEqual(600);

    const again = await fetch(`${gateway.url}${url}`, { redirect: 'manual' });
    expect(again.status).toBe(401);
    expect(((await again.json()) as { detail: string }).detail).toContain('used or has expired');
  });

  it('refuses the page and its API without a live session', async () => {
    for (const path of ['/admin/queues/', '/admin/queues/api/queues', '/admin/queues/static/js/missing.js']) {
      const answer = await fetch(`${gateway.url}${path}`);
      expect(answer.status, path).toBe(401);
      expect(answer.headers.get('content-type'), path).toContain('application/problem+json');
    }
    const forged = await fetch(`${gateway.url}/admin/queues/api/queues`, {
      headers: { cookie: 'conduit_queue_dashboard=made-up' },
    });
    expect(forged.status).toBe(401);
    const { headers } = await mint.mint({ platformAdmin: true });
    const bearerOnly = await fetch(`${gateway.url}/admin/queues/api/queues`, { headers });
    expect(bearerOnly.status).toBe(401);
  });
});

describe('with a session', () => {
  it('serves the page under its own content policy', async () => {
    const cookie = await adminSession();
    const page = await fetch(`${gateway.url}/admin/queues/`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const html = await page.text();
    expect(html).toContain('Conduit queues');
    const script = html.match(/src="(static\/js\/main[^"]+)"/)![1]!;
    const asset = await fetch(`${gateway.url}/admin/queues/${script}`, { headers: { cookie } });
    expect(asset.status).toBe(200);
  });

  it("lists the services' queues with their jobs, and retries a failed one", async () => {
    const cookie = await adminSession();
    const listed = await fetch(`${gateway.url}/admin/queues/api/queues?activeQueue=${QUEUE}&status=failed`, {
      headers: { cookie },
    });
    expect(listed.status).toBe(200);
    const { queues } = (await listed.json()) as {
      queues: { name: string; counts: Record<string, number>; jobs: { id: string }[] }[];
    };
    const ours = queues.find((q) => q.name === QUEUE)!;
    expect(ours.counts).toMatchObject({ failed: 1, waiting: 1 });
    expect(ours.jobs.map((job) => job.id)).toEqual([failedJobId]);

    const retried = await fetch(`${gateway.url}/admin/queues/api/queues/${QUEUE}/${failedJobId}/retry`, {
      method: 'PUT',
      headers: { cookie },
    });
    expect(retried.status).toBe(204);
    expect(await (await queue.getJob(failedJobId))!.getState()).toBe('waiting');
    expect(await queue.getJobCounts('failed', 'waiting')).toEqual({ failed: 0, waiting: 2 });
  });
});
