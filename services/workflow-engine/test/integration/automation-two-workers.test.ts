import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveConversationBots } from '../fixtures/conversation-bots.js';
import { type HttpSink, startHttpSink } from '../fixtures/http-sink.js';
import { workerProcesses } from '../fixtures/worker-process.js';
import { bearer, startWorkflowHarness, type WorkflowHarness } from '../fixtures/workflow-harness.js';

// Two worker processes (src/worker.ts, as production runs them) on one queue: an automation's
// schedule is one BullMQ job scheduler, so each tick is one run whichever worker takes it, and a
// run still going makes the next tick a skipped run on either worker. Per-second crons keep the
// test short; a bot script's SET SCHEDULE "every 1 minute" is run at its next minute too.
let h: WorkflowHarness;
let sink: HttpSink;
let conversation: ReturnType<typeof serveConversationBots>;
let owner: { token: string; userId: string };
const workers = workerProcesses(() => h);

beforeAll(async () => {
  [h, sink] = await Promise.all([startWorkflowHarness({ worker: false }), startHttpSink()]);
  conversation = serveConversationBots(h);
  owner = await h.tokens.mint();
}, 60_000);
afterAll(async () => {
  await workers.stopAll();
  await conversation?.stop();
  await Promise.all([h?.close(), sink?.close()]);
}, 30_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function everySecond(script: string) {
  const bot = await conversation.save({ ownerUserId: owner.userId });
  const res = await h.app.inject({
    method: 'POST',
    url: `/v1/bots/${bot.id}/automations`,
    headers: bearer(owner.token),
    payload: { name: 'every second', schedule: '* * * * * *', script },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

const runs = (automationId: string) =>
  h.admin`select status, tick_at, started_at, finished_at, error from workflow.automation_runs
    where automation_id = ${automationId} order by started_at`;

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

async function untilRuns(
  automationId: string,
  enough: (rows: Awaited<ReturnType<typeof runs>>) => boolean,
  timeoutMs = 45_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await runs(automationId);
    if (enough(rows)) return rows;
    if (Date.now() > deadline) throw new Error(`not enough runs: ${JSON.stringify(rows)}`);
    await sleep(250);
  }
}

describe('an automation on a per-second schedule with two worker processes', () => {
  it('runs once per tick, and skips ticks while a run is going', async () => {
    workers.start();
    workers.start();
    // A bot whose script says SET SCHEDULE "every 1 minute": its automation runs at the next whole
    // minute, once, whichever worker takes it (checked at the end, after the per-second ones).
    const bot = await conversation.save({
      ownerUserId: owner.userId,
      script: 'SET SCHEDULE "every 1 minute"\nTALK "minute"',
    });
    const minutely = await until('the script automation', async () => {
      const [row] = await h.admin<{ id: string }[]>`
        select id from workflow.system_automations where bot_id = ${bot.id}`;
      return row?.id;
    });
    const quick = await everySecond('TALK "tick"');
    await untilRuns(quick, (rows) => rows.length >= 2);
    const deadline = Date.now() + 30_000;
    while ((await h.deps.jobs.queue.getWorkers()).length < 2) {
      if (Date.now() > deadline) throw new Error('the second worker did not come up');
      await sleep(200);
    }
    const from = (await runs(quick)).length;
    const started = Date.now();
    await sleep(5000);
    const all = await runs(quick);
    const seconds = (Date.now() - started) / 1000;
    expect(all.length - from).toBeGreaterThanOrEqual(Math.floor(seconds) - 1);
    expect(all.length - from).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
    const ticks = new Map<number, number>();
    for (const row of all) ticks.set(row.tick_at.getTime(), (ticks.get(row.tick_at.getTime()) ?? 0) + 1);
    expect([...ticks.values()].filter((n) => n > 1)).toEqual([]);
    // A quick run may still overlap the next tick on a loaded machine: that tick is skipped, not failed.
    // The newest tick's run may still be going when the rows are read.
    const newest = Math.max(...all.map((row) => row.tick_at.getTime()));
    const inFlight = (row: (typeof all)[number]) =>
      row.status === 'running' && row.tick_at.getTime() === newest;
    expect(
      all.filter((row) => row.status !== 'success' && row.status !== 'skipped' && !inFlight(row)),
    ).toEqual([]);
    expect(all.some((row) => row.status === 'success')).toBe(true);

    sink.delayMs = 2500;
    try {
      const slow = await everySecond(`x = GET "${sink.url}/slow"\nTALK "done"`);
      const rows = await untilRuns(
        slow,
        (r) => r.filter((x) => x.status === 'success').length >= 2 && r.some((x) => x.status === 'skipped'),
      );
      const ran = rows
        .filter((row) => row.status !== 'skipped' && row.finished_at)
        .map((row) => [row.started_at.getTime(), row.finished_at.getTime()] as const);
      for (let i = 1; i < ran.length; i++) expect(ran[i]![0]).toBeGreaterThanOrEqual(ran[i - 1]![1]);
      expect(rows.find((row) => row.status === 'skipped')!.error).toBe('the previous run was still going');
    } finally {
      sink.delayMs = 0;
    }

    const [first] = await untilRuns(minutely, (rows) => rows.some((row) => row.finished_at), 70_000);
    expect(first).toMatchObject({ status: 'success', error: null });
    expect(first!.tick_at.getTime() % 60_000).toBe(0);
    const ofThatTick = (await runs(minutely)).filter(
      (row) => row.tick_at.getTime() === first!.tick_at.getTime(),
    );
    expect(ofThatTick).toHaveLength(1);
  }, 180_000);
});
