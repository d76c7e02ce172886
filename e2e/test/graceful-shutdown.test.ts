import { randomUUID } from 'node:crypto';
import {
  createTestDatabase,
  deleteBusStreams,
  deleteRedisKeys,
  localServices,
  startTcpProxy,
  type TcpProxy,
  type TestDatabase,
  testBusNamespace,
  testRedisPrefix,
} from '@conduit/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePort,
  type ServicePackage,
  type ServiceProcess,
  startServiceProcess,
} from '../src/service-process.js';

// Every process of the cluster, stopped with SIGTERM while it has work in flight. The work is held
// in flight by pausing the processes' Postgres connections (a TCP proxy in front of the real
// server): requests and jobs wait on a query when the signal comes, and must still finish, and the
// process exit cleanly, within the shutdown budget.
const GRACE_MS = 5_000;
const IN_FLIGHT = 8;

let database: TestDatabase;
const redisPrefix = testRedisPrefix();
const namespace = testBusNamespace();
const started: ServiceProcess[] = [];
const proxies: TcpProxy[] = [];

beforeAll(async () => {
  database = await createTestDatabase([]);
});
afterAll(async () => {
  for (const proxy of proxies) proxy.resume();
  for (const service of started) service.kill('SIGKILL');
  await Promise.all(started.map((service) => service.exited));
  await Promise.all(proxies.map((proxy) => proxy.close()));
  await deleteBusStreams(namespace);
  await deleteRedisKeys(redisPrefix);
  await database?.drop();
});

/** One case's processes, reaching the test database through a proxy of their own to pause. */
async function caseWithOwnDatabaseLink() {
  const admin = new URL(database.adminUrl);
  const proxy = await startTcpProxy({ host: admin.hostname, port: Number(admin.port || 5432) });
  proxies.push(proxy);
  admin.host = `127.0.0.1:${proxy.port}`;
  const env = {
    NODE_ENV: 'test',
    DATABASE_URL: admin.toString(),
    REDIS_URL: localServices.redisUrl,
    NATS_URL: localServices.natsUrl,
    BUS_NAMESPACE: namespace,
    REDIS_KEY_PREFIX: redisPrefix,
    LOG_LEVEL: 'info',
    SHUTDOWN_GRACE: `${GRACE_MS}ms`,
  };
  return {
    proxy,
    async start(name: ServicePackage, entry: 'server' | 'worker', extra: Record<string, string> = {}) {
      const service = startServiceProcess(name, entry, { ...env, ...extra });
      started.push(service);
      await service.waitForOutput(entry === 'server' ? 'listening' : 'worker running');
      return service;
    },
    /** Holds requests on their queries: they are in flight until `terminateDuringPause` lets go. */
    async holdRequests(url: string, init: (i: number) => RequestInit = () => ({})) {
      proxy.pause();
      const requests = Array.from({ length: IN_FLIGHT }, (_, i) =>
        fetch(url, init(i)).then(async (response) => ({
          status: response.status,
          body: await response.text(),
        })),
      );
      // Long enough for every request to reach its query and wait there; then a request that needs
      // no database answers only once the process has read what came before it, so that none of
      // the held requests is still unread (and answered 503 as too late) when the signal comes.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const live = await fetch(new URL('/health/live', url));
      expect(live.status).toBe(200);
      return requests;
    },
    /** Sends SIGTERM while the database holds the work, lets it go 300 ms later, and times the exit. */
    async terminateDuringPause(service: ServiceProcess) {
      const signalled = Date.now();
      service.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 300));
      proxy.resume();
      const exit = await service.exited;
      return { ...exit, tookMs: Date.now() - signalled };
    },
  };
}

const httpServices: { name: ServicePackage; portVariable: string }[] = [
  { name: '@conduit/identity', portVariable: 'IDENTITY_PORT' },
  { name: '@conduit/knowledge-base', portVariable: 'KNOWLEDGE_BASE_PORT' },
  { name: '@conduit/conversation', portVariable: 'CONVERSATION_PORT' },
  { name: '@conduit/workflow-engine', portVariable: 'WORKFLOW_ENGINE_PORT' },
  { name: '@conduit/analytics', portVariable: 'ANALYTICS_PORT' },
  { name: '@conduit/email-sync', portVariable: 'MAIL_PORT' },
  { name: '@conduit/workspace', portVariable: 'WORKSPACE_PORT' },
];

describe('SIGTERM with requests in flight', () => {
  for (const { name, portVariable } of httpServices) {
    it(`${name}: every request in flight is answered, then the process exits 0 within the budget`, async () => {
      const link = await caseWithOwnDatabaseLink();
      const port = await freePort();
      const service = await link.start(name, 'server', { [portVariable]: String(port) });
      const requests = await link.holdRequests(`http://127.0.0.1:${port}/health/ready`);
      const exit = await link.terminateDuringPause(service);
      const answers = await Promise.all(requests);
      expect(answers.map((answer) => answer.status)).toEqual(Array(IN_FLIGHT).fill(200));
      expect(exit).toMatchObject({ code: 0, signal: null });
      expect(exit.tookMs).toBeLessThan(GRACE_MS);
      expect(service.output()).toContain('shutting down');
    });
  }

  it('@conduit/gateway: requests it is forwarding are answered, then it exits 0 within the budget', async () => {
    const link = await caseWithOwnDatabaseLink();
    const identityPort = await freePort();
    const identity = await link.start('@conduit/identity', 'server', { IDENTITY_PORT: String(identityPort) });
    const port = await freePort();
    const gateway = await link.start('@conduit/gateway', 'server', {
      GATEWAY_PORT: String(port),
      IDENTITY_URL: `http://127.0.0.1:${identityPort}`,
    });
    // A sign-in waits on identity's database: the gateway holds the request until identity answers.
    // One account each: a sign-in lock-out counts failures per account and address.
    const requests = await link.holdRequests(`http://127.0.0.1:${port}/v1/auth/login`, (i) => ({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `nobody${i}@example.com`, password: 'not the password' }),
    }));
    const exit = await link.terminateDuringPause(gateway);
    const answers = await Promise.all(requests);
    expect(answers.map((answer) => answer.status)).toEqual(Array(IN_FLIGHT).fill(401));
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.tookMs).toBeLessThan(GRACE_MS);
    identity.kill('SIGTERM');
    expect(await identity.exited).toMatchObject({ code: 0 });
  });
});

describe('SIGTERM with a job running', () => {
  const workers: { name: ServicePackage; queue: string; job: string; payload: () => object }[] = [
    { name: '@conduit/identity', queue: 'identity', job: 'roll-usage-periods', payload: () => ({}) },
    {
      name: '@conduit/knowledge-base',
      queue: 'knowledge',
      job: 'fetch-datasource',
      payload: () => ({ datasourceId: randomUUID() }),
    },
    {
      name: '@conduit/workflow-engine',
      queue: 'workflow',
      job: 'run-execution',
      payload: () => ({ executionId: randomUUID(), workflowId: randomUUID() }),
    },
    { name: '@conduit/analytics', queue: 'analytics', job: 'prune-events', payload: () => ({}) },
    { name: '@conduit/email-sync', queue: 'email', job: 'send-due', payload: () => ({}) },
    { name: '@conduit/workspace', queue: 'workspace', job: 'sweep-objects', payload: () => ({}) },
    { name: '@conduit/conversation', queue: 'conversation', job: 'prune-app-visitors', payload: () => ({}) },
  ];
  for (const { name, queue: queueName, job: jobName, payload } of workers) {
    it(`${name} worker: the running job finishes, then the process exits 0 within the budget`, async () => {
      const link = await caseWithOwnDatabaseLink();
      const worker = await link.start(name, 'worker');
      const connection = new Redis(localServices.redisUrl, { maxRetriesPerRequest: null });
      const queue = new Queue(queueName, { connection, prefix: `${redisPrefix}bull` });
      try {
        link.proxy.pause();
        const job = await queue.add(jobName, { payload: payload() });
        // Generous: on a loaded machine a worker that has just started can take seconds to fetch.
        const deadline = Date.now() + 30_000;
        while ((await job.getState()) !== 'active') {
          if (Date.now() > deadline)
            throw new Error(`the job never started (${await job.getState()}):\n${worker.output()}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const exit = await link.terminateDuringPause(worker);
        expect(exit).toMatchObject({ code: 0, signal: null });
        expect(exit.tookMs).toBeLessThan(GRACE_MS);
        expect(await job.getState()).toBe('completed');
      } finally {
        link.proxy.resume();
        await queue.close();
        connection.disconnect();
      }
    });
  }
});
