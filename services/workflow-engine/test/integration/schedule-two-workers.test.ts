import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workerProcesses } from '../fixtures/worker-process.js';
import { createWorkflow, startWorkflowHarness, type WorkflowHarness } from '../fixtures/workflow-harness.js';

// Two worker processes (src/worker.ts, as production runs them) on one queue: a schedule is a
// BullMQ job scheduler, so each tick is one job, taken by one of them.
let h: WorkflowHarness;
let owner: { token: string; userId: string };
const workers = workerProcesses(() => h);

beforeAll(async () => {
  h = await startWorkflowHarness({ worker: false });
  owner = await h.tokens.mint();
}, 60_000);
afterAll(async () => {
  await workers.stopAll();
  await h?.close();
}, 30_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a per-second schedule with two worker processes', () => {
  it('fires once per tick', async () => {
    workers.start();
    workers.start();
    const workflow = await createWorkflow(h, owner.token, {
      name: 'every second',
      status: 'active',
      nodes: [
        { name: 'Tick', type: 'schedule', config: { cron: '* * * * * *' } },
        { name: 'Stamp', type: 'set', config: { fields: [{ name: 'at', value: '{{ firedAt }}' }] } },
      ],
      connections: [{ source: 'Tick', target: 'Stamp' }],
    });
    const count = async () =>
      (
        await h.admin`select count(*)::int as n from workflow.workflow_executions where workflow_id = ${workflow.id}`
      )[0]!.n as number;
    // Both workers are up once ticks flow (each needs a moment to start).
    const deadline = Date.now() + 30_000;
    while ((await count()) < 2) {
      if (Date.now() > deadline) throw new Error('the schedule never fired');
      await sleep(200);
    }
    while ((await h.deps.jobs.queue.getWorkers()).length < 2) {
      if (Date.now() > deadline) throw new Error('the second worker did not come up');
      await sleep(200);
    }
    const from = await count();
    const started = Date.now();
    await sleep(5000);
    const fired = (await count()) - from;
    const seconds = (Date.now() - started) / 1000;
    expect(fired).toBeGreaterThanOrEqual(Math.floor(seconds) - 1);
    expect(fired).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
    // One execution per tick: each tick (a whole second) fired once.
    const ticks = await h.admin`select input_data -> 0 ->> 'firedAt' as tick, count(*)::int as n
      from workflow.workflow_executions where workflow_id = ${workflow.id} group by 1`;
    expect(ticks.filter((tick) => tick.n > 1)).toEqual([]);
    // Ticks are whole seconds; a scheduler that fell behind on a loaded machine puts its next tick
    // at "now" instead (BullMQ clamps a tick in the past), so most, not all, are whole.
    const whole = ticks.filter((tick) => /\.000Z$/.test(tick.tick)).length;
    expect(whole).toBeGreaterThan(ticks.length / 2);
  }, 60_000);
});
