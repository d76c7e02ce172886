import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startWorkflowHarness, type WorkflowHarness } from '../fixtures/workflow-harness.js';

// GET /v1/admin/jobs: every service's queue counts and failed jobs, asked of each service
// (rpc.<service>.jobs.admin, which the runtime serves); here only the workflow engine runs, so the
// others are listed as unavailable.
let h: WorkflowHarness;
let admin: { token: string };
let user: { token: string };

beforeAll(async () => {
  h = await startWorkflowHarness({ env: { RPC_TIMEOUT: '1s' } });
  admin = await h.tokens.mint({ platformAdmin: true });
  user = await h.tokens.mint();
}, 60_000);
afterAll(() => h?.close(), 30_000);

const call = (who: { token: string }, method: string, url: string) =>
  h.app.inject({ method: method as 'GET', url, headers: bearer(who.token) });

type Listing = {
  services: {
    service: string;
    available: boolean;
    counts: Record<string, number> | null;
    failed: { id: string; jobName: string; error: string }[];
  }[];
};
const engineOf = (listing: Listing) => listing.services.find((s) => s.service === 'workflow-engine')!;

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('admin jobs', () => {
  it('lists every service queue and its failed jobs to platform admins, with retry and discard', async () => {
    // A job that fails for good (a payload its catalog refuses) is recorded in failed_jobs.
    await h.deps.jobs.queue.add('fire-schedule', { payload: { workflowId: 'not-a-uuid' } });
    const listing = await until('the failed job', async () => {
      const res = await call(admin, 'GET', '/v1/admin/jobs');
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json() as Listing;
      return engineOf(body).failed.length ? body : undefined;
    });
    const engine = engineOf(listing);
    expect(engine).toMatchObject({
      available: true,
      counts: expect.objectContaining({ waiting: expect.any(Number), failed: expect.any(Number) }),
    });
    expect(engine.failed[0]).toMatchObject({
      jobName: 'fire-schedule',
      error: expect.stringContaining('invalid payload'),
    });
    expect(listing.services.filter((s) => s.service !== 'workflow-engine').every((s) => !s.available)).toBe(
      true,
    );

    const discarded = await call(
      admin,
      'DELETE',
      `/v1/admin/jobs/workflow-engine/failed/${engine.failed[0]!.id}`,
    );
    expect(discarded.statusCode, discarded.body).toBe(200);
    expect((await h.admin`select count(*)::int as n from workflow.failed_jobs`)[0]!.n).toBe(0);

    // A failed job recorded with a payload that is now good: retry queues it again, once.
    const id = randomUUID();
    await h.admin`insert into workflow.failed_jobs (id, queue, job_name, job_id, payload, error, attempts)
      values (${id}, 'workflow', 'fire-schedule', null, ${h.admin.json({ workflowId: randomUUID(), nodeId: randomUUID() })}, 'boom', 3)`;
    const retried = await call(admin, 'POST', `/v1/admin/jobs/workflow-engine/failed/${id}/retry`);
    expect(retried.statusCode, retried.body).toBe(200);
    expect(retried.json().jobId).toBe(`retry-${id}`);
    await until('the retried job to finish', async () =>
      (await h.deps.jobs.queue.getJob(`retry-${id}`))?.finishedOn ? true : undefined,
    );
    expect((await h.deps.jobs.queue.getJob(`retry-${id}`))!.returnvalue).toBe('workflow gone');
    expect((await call(admin, 'POST', `/v1/admin/jobs/workflow-engine/failed/${id}/retry`)).statusCode).toBe(
      404,
    );
  });

  it('refuses everyone else, and answers bad input with 4xx', async () => {
    expect((await h.app.inject({ method: 'GET', url: '/v1/admin/jobs' })).statusCode).toBe(401);
    expect((await call(user, 'GET', '/v1/admin/jobs')).statusCode).toBe(403);
    expect(
      (await call(user, 'DELETE', `/v1/admin/jobs/workflow-engine/failed/${randomUUID()}`)).statusCode,
    ).toBe(403);
    expect(
      (await call(admin, 'DELETE', `/v1/admin/jobs/workflow-engine/failed/${randomUUID()}`)).statusCode,
    ).toBe(404);
    expect((await call(admin, 'DELETE', `/v1/admin/jobs/nowhere/failed/${randomUUID()}`)).statusCode).toBe(
      404,
    );
    expect((await call(admin, 'DELETE', '/v1/admin/jobs/workflow-engine/failed/nope')).statusCode).toBe(400);
    expect(
      (await call(admin, 'POST', `/v1/admin/jobs/Bad%20Name/failed/${randomUUID()}/retry`)).statusCode,
    ).toBe(400);
    expect((await call(admin, 'GET', '/v1/admin/jobs?limit=0')).statusCode).toBe(400);
    expect((await call(admin, 'GET', '/v1/admin/jobs?extra=1')).statusCode).toBe(400);
  });
});
