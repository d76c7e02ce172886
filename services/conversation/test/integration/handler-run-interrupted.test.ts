import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { localServices } from '@conduit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConversationHarness, startConversationHarness } from '../fixtures/conversation-harness.js';

// An ON handler whose worker process is SIGKILLed in the middle of its script: the run was put on
// record when it started, reads as running while its time limit lasts, and as interrupted after.

const serviceDir = fileURLToPath(new URL('../..', import.meta.url));
// A script may run 2 × SCRIPT_HTTP_TIMEOUT; its run reads as interrupted HANDLER_RUN_MARGIN later.
const settings = { SCRIPT_HTTP_ALLOW: '127.0.0.0/8', SCRIPT_HTTP_TIMEOUT: '3s', HANDLER_RUN_MARGIN: '1s' };

let h: ConversationHarness;
let child: ChildProcess | undefined;
/** A local server that never answers: the handler's GET hangs until its process dies. */
let hanging: Server;
const held: ServerResponse[] = [];
let hangingUrl: string;

beforeAll(async () => {
  hanging = createServer((_req, res) => held.push(res));
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
  hangingUrl = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/stock`;
  h = await startConversationHarness({ env: settings });
});
afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await h?.close();
  hanging?.closeAllConnections();
  await new Promise((resolve) => hanging?.close(resolve));
});

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, ms: number): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > until) throw new Error(`not reached in ${ms} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('an ON handler killed mid-run', () => {
  it('leaves a run that reads as running, then as interrupted once its time limit has passed', async () => {
    const user = await h.tokens.mint({ perms: ['bots.read', 'bots.write'] });
    const call = async (method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) => {
      const res = await h.app.inject({ method, url, headers: user.headers, ...(payload ? { payload } : {}) });
      expect(res.statusCode, res.body).toBeLessThan(300);
      return res.json();
    };
    const botId = (await call('POST', '/v1/bots', { name: 'Stock bot', script: null })).id as string;
    await call('PUT', `/v1/bots/${botId}/tools/check-stock`, {
      script: `ON INSERT OF "orders"\nPRINT "checking " & row.id\nstock = GET "${hangingUrl}"\nPRINT "checked"`,
    });
    const runs = async () => (await call('GET', `/v1/bots/${botId}/tools/check-stock/runs`)).items;

    // The worker as production runs it (src/worker.ts), in a process of its own.
    child = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
      cwd: serviceDir,
      env: {
        ...process.env,
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        DATABASE_URL: h.database.adminUrl,
        REDIS_URL: localServices.redisUrl,
        NATS_URL: localServices.natsUrl,
        BUS_NAMESPACE: h.namespace,
        REDIS_KEY_PREFIX: h.env.REDIS_KEY_PREFIX,
        ...settings,
      },
      stdio: ['ignore', 'ignore', process.env.TEST_LOG_LEVEL ? 'inherit' : 'ignore'],
    });
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    await call('POST', `/v1/bots/${botId}/tables/orders/rows`, { data: { id: 'A7', qty: 2 } });

    // The script is waiting on its GET: its run is on record, running.
    await eventually(
      async () => held.length,
      (n) => n > 0,
      60_000,
    );
    const [running] = await runs();
    expect(running).toMatchObject({ kind: 'on', status: 'running', finishedAt: null, durationMs: null });
    expect(running.eventId).toEqual(expect.any(String));

    child.kill('SIGKILL');
    await exited;
    // Nothing ended it; until the time limit and margin have passed it may still be running.
    const [atKill] = await runs();
    expect(atKill).toMatchObject({ id: running.id, status: 'running' });
    const [interrupted] = await eventually(runs, ([run]) => run?.status !== 'running', 15_000);
    expect(interrupted).toMatchObject({
      id: running.id,
      kind: 'on',
      eventId: running.eventId,
      status: 'interrupted',
      finishedAt: null,
      durationMs: null,
    });
    expect(interrupted.error).toMatch(/stopped before its script ended/);
    expect(Date.now() - Date.parse(interrupted.startedAt)).toBeGreaterThanOrEqual(2 * 3000 + 1000);
    // One record: nothing ran it again.
    expect(await runs()).toHaveLength(1);
    expect(held).toHaveLength(1);
  });
});
