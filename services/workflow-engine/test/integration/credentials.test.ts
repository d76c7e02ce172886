import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpSink, startHttpSink } from '../fixtures/http-sink.js';
import {
  callAs,
  chain,
  createWorkflow,
  runWorkflow,
  startWorkflowHarness,
  type WorkflowHarness,
  waitForExecution,
} from '../fixtures/workflow-harness.js';

let h: WorkflowHarness;
let sink: HttpSink;
type User = { token: string; userId: string };
const teamId = randomUUID();
let owner: User;
let viewer: User;
let stranger: User;
const TOKEN = `tok-${randomUUID()}`;
const WEBHOOK_SECRET = `whsec-${randomUUID()}`;

beforeAll(async () => {
  [h, sink] = await Promise.all([startWorkflowHarness(), startHttpSink()]);
  owner = await h.tokens.mint({ teams: { [teamId]: 'owner' } });
  viewer = await h.tokens.mint({ teams: { [teamId]: 'viewer' } });
  stranger = await h.tokens.mint();
}, 60_000);
afterAll(async () => {
  await Promise.all([h?.close(), sink?.close()]);
}, 30_000);

const call = (user: User, method: string, url: string, payload?: object) =>
  callAs(h, user, method, url, payload);

const keep = async (user: User, body: object) => {
  const res = await call(user, 'POST', '/v1/workflows/credentials', body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; kind: string };
};

describe('credentials', () => {
  it('go in sealed and never come out; only their owners and team see and delete them', async () => {
    const mine = await keep(owner, { name: 'API', secret: { kind: 'bearer', token: TOKEN } });
    const team = await keep(owner, {
      name: 'Team API',
      secret: { kind: 'header', header: 'X-Key', value: TOKEN },
      teamId,
    });
    const listed = await call(owner, 'GET', '/v1/workflows/credentials');
    expect(listed.body).not.toContain(TOKEN);
    expect(
      listed
        .json()
        .items.map((c: { id: string }) => c.id)
        .sort(),
    ).toEqual([mine.id, team.id].sort());
    expect(
      (await call(viewer, 'GET', '/v1/workflows/credentials')).json().items.map((c: { id: string }) => c.id),
    ).toEqual([team.id]);
    expect((await call(stranger, 'GET', '/v1/workflows/credentials')).json().items).toEqual([]);
    const [row] = await h.admin`select sealed from workflow.workflow_credentials where id = ${mine.id}`;
    expect(row!.sealed).not.toContain(TOKEN);
    expect((await call(stranger, 'DELETE', `/v1/workflows/credentials/${team.id}`)).statusCode).toBe(404);
    expect((await call(viewer, 'DELETE', `/v1/workflows/credentials/${team.id}`)).statusCode).toBe(403);
    expect((await call(owner, 'DELETE', `/v1/workflows/credentials/${team.id}`)).statusCode).toBe(204);
    const short = await call(owner, 'POST', '/v1/workflows/credentials', {
      name: 'x',
      secret: { kind: 'secret', value: 'short' },
    });
    expect(short.statusCode).toBe(400);
  });

  it('authorize an HTTP node by reference, without the secret showing in the run', async () => {
    const credential = await keep(owner, { name: 'Sink', secret: { kind: 'bearer', token: TOKEN } });
    const workflow = await createWorkflow(
      h,
      owner.token,
      chain('authorized', [
        {
          name: 'Call',
          type: 'http-request',
          config: {
            method: 'POST',
            url: `${sink.url}/authorized`,
            body: { hello: 1 },
            credential: credential.id,
          },
        },
      ]),
    );
    const execution = await waitForExecution(h, owner.token, await runWorkflow(h, owner.token, workflow.id));
    expect(execution.status).toBe('success');
    const received = sink.requests.find((request) => request.path === '/authorized')!;
    expect(received.headers.authorization).toBe(`Bearer ${TOKEN}`);
    const seen = await call(owner, 'GET', `/v1/executions/${execution.id}`);
    expect(seen.body).not.toContain(TOKEN);
    const jobs = await h.deps.jobs.queue.getJobs(['completed', 'waiting', 'active', 'delayed']);
    expect(JSON.stringify(jobs.map((job) => job.data))).not.toContain(TOKEN);

    // Gone: the node fails at once, and says so without the secret.
    await call(owner, 'DELETE', `/v1/workflows/credentials/${credential.id}`);
    const failed = await waitForExecution(h, owner.token, await runWorkflow(h, owner.token, workflow.id));
    expect(failed).toMatchObject({
      status: 'error',
      errorNode: 'Call',
      error: expect.stringContaining('credential is gone'),
    });
  });

  it('may be named only by workflows of their owner', async () => {
    const theirs = await keep(stranger, { name: 'Theirs', secret: { kind: 'bearer', token: TOKEN } });
    const node = {
      name: 'Call',
      type: 'http-request',
      config: { url: `${sink.url}/x`, credential: theirs.id },
    };
    const res = await call(owner, 'POST', '/v1/workflows', chain('borrowing', [node]));
    expect(res.statusCode).toBe(422);
    expect(res.json().errors).toEqual([expect.objectContaining({ path: 'nodes.1.config.credential' })]);
    // A personal credential in a team workflow: the team's members would use it; refused too.
    const personal = await keep(owner, { name: 'Personal', secret: { kind: 'bearer', token: TOKEN } });
    const teamFlow = await call(owner, 'POST', '/v1/workflows', {
      ...chain('team borrowing', [{ ...node, config: { ...node.config, credential: personal.id } }]),
      teamId,
    });
    expect(teamFlow.statusCode).toBe(422);
  });
});

describe('webhook authentication', () => {
  const hookFlow = (auth: object) => ({
    name: 'guarded',
    status: 'active',
    nodes: [{ name: 'Hook', type: 'webhook', config: { path: 'guarded', auth } }],
  });

  it('takes a call with the right header token only', async () => {
    const secret = await keep(owner, {
      name: 'Hook token',
      secret: { kind: 'secret', value: WEBHOOK_SECRET },
    });
    const workflow = await createWorkflow(
      h,
      owner.token,
      hookFlow({ type: 'header-token', header: 'X-Hook-Token', credential: secret.id }),
    );
    const hook = (headers: Record<string, string>) =>
      h.app.inject({ method: 'POST', url: `/v1/hooks/${workflow.id}/guarded`, headers, payload: { a: 1 } });
    expect((await hook({})).statusCode).toBe(401);
    expect((await hook({ 'x-hook-token': 'wrong' })).statusCode).toBe(401);
    const accepted = await hook({ 'x-hook-token': WEBHOOK_SECRET });
    expect(accepted.statusCode).toBe(202);
    const execution = await waitForExecution(h, owner.token, accepted.json().executionId);
    expect(JSON.stringify(execution)).not.toContain(WEBHOOK_SECRET);
  });

  it('takes a call signed with HMAC-SHA256 of its raw body only', async () => {
    const secret = await keep(owner, { name: 'Hook key', secret: { kind: 'secret', value: WEBHOOK_SECRET } });
    const workflow = await createWorkflow(h, owner.token, {
      ...hookFlow({ type: 'hmac-sha256', header: 'X-Signature', credential: secret.id }),
      name: 'signed',
    });
    const body = '{"amount": 10,  "currency":"EUR"}';
    const sign = (text: string) => createHmac('sha256', WEBHOOK_SECRET).update(text).digest('hex');
    const hook = (payload: string, signature: string) =>
      h.app.inject({
        method: 'POST',
        url: `/v1/hooks/${workflow.id}/guarded`,
        headers: { 'content-type': 'application/json', 'x-signature': signature },
        payload,
      });
    expect((await hook(body, `sha256=${sign(body)}`)).statusCode).toBe(202);
    expect((await hook(body, sign(body))).statusCode).toBe(202);
    expect((await hook(body.replace('10', '99'), sign(body))).statusCode).toBe(401);
    expect(
      (
        await hook(
          body,
          sign(body).replace(/^./, (c) => (c === 'a' ? 'b' : 'a')),
        )
      ).statusCode,
    ).toBe(401);
  });
});
