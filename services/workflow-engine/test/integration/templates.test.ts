import { randomUUID } from 'node:crypto';
import { type RpcServer, serveRpc } from '@conduit/bus';
import { identityEvents, knowledgeRpc } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fireScheduleJob } from '../../src/jobs/processors/fire-schedule-job.js';
import {
  bearer,
  chain,
  changeWorkflow,
  publishEvent,
  runWorkflow,
  startWorkflowHarness,
  type WorkflowHarness,
  waitForExecution,
} from '../fixtures/workflow-harness.js';

let h: WorkflowHarness;
type User = { token: string; userId: string };
let owner: User;
let stranger: User;
const teamId = randomUUID();
let teammate: User;

beforeAll(async () => {
  h = await startWorkflowHarness();
  owner = await h.tokens.mint({ teams: { [teamId]: 'owner' } });
  teammate = await h.tokens.mint({ teams: { [teamId]: 'member' } });
  stranger = await h.tokens.mint();
}, 60_000);
afterAll(async () => {
  await h?.close();
}, 30_000);

const call = (user: User | undefined, method: string, url: string, payload?: object) =>
  h.app.inject({
    method: method as 'GET',
    url,
    headers: user ? bearer(user.token) : {},
    ...(payload ? { payload } : {}),
  });

interface TemplateSummary {
  id: string;
  name: string;
  category: string;
  isOfficial: boolean;
  usageCount: number;
}

const officialTemplates = async (): Promise<TemplateSummary[]> => {
  const res = await call(owner, 'GET', '/v1/workflows/templates?official=true&limit=100');
  expect(res.statusCode).toBe(200);
  return res.json().items;
};

/** A workflow from the official template of that name, as the owner's draft. */
const fromTemplate = async (name: string) => {
  const template = (await officialTemplates()).find((t) => t.name === name);
  if (!template) throw new Error(`no official template "${name}"`);
  const res = await call(owner, 'POST', `/v1/workflows/templates/${template.id}/use`, {});
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; status: string; nodes: { id: string; name: string; type: string }[] };
};

const hook = (workflowId: string, path: string, payload: object) =>
  h.app.inject({ method: 'POST', url: `/v1/hooks/${workflowId}/${path}`, payload });

describe('official templates', () => {
  it('are listed to anyone signed in, at least six in several categories', async () => {
    const official = await officialTemplates();
    expect(official.length).toBeGreaterThanOrEqual(7);
    expect(new Set(official.map((t) => t.category)).size).toBeGreaterThanOrEqual(6);
    const seen = await call(stranger, 'GET', '/v1/workflows/templates?official=true&limit=100');
    expect(
      seen
        .json()
        .items.map((t: TemplateSummary) => t.id)
        .sort(),
    ).toEqual(official.map((t) => t.id).sort());
    const webhooks = await call(stranger, 'GET', '/v1/workflows/templates?category=webhooks');
    expect(webhooks.json().items.every((t: TemplateSummary) => t.category === 'webhooks')).toBe(true);
    expect((await call(undefined, 'GET', '/v1/workflows/templates')).statusCode).toBe(401);
    const one = await call(stranger, 'GET', `/v1/workflows/templates/${official[0]!.id}`);
    expect(one.statusCode).toBe(200);
    expect(one.json().document.nodes.length).toBeGreaterThan(1);
  });

  it('form intake: accepts an entry with an email (cleaned up), refuses one without', async () => {
    const workflow = await fromTemplate('Form intake');
    expect(workflow.status).toBe('draft');
    await changeWorkflow(h, owner.token, workflow.id, { status: 'active' });
    const accepted = await hook(workflow.id, 'form', { email: '  Ann@Example.COM ', name: ' Ann ' });
    expect(accepted.statusCode, accepted.body).toBe(201);
    expect(accepted.json()).toEqual({ ok: true, email: 'ann@example.com', name: 'Ann' });
    const refused = await hook(workflow.id, 'form', { name: 'Bob' });
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toEqual({ ok: false, error: 'A valid email is required.' });
  });

  it('answer from a knowledge base: answers from the best passage with its sources, else 404', async () => {
    const collection = randomUUID();
    const asked: { userId: string; query: string; collectionIds?: string[] }[] = [];
    // Knowledge-base's search RPC as a real responder on the bus: one collection of the owner's,
    // where refunds are written about.
    const search: RpcServer = serveRpc(h.bus, knowledgeRpc.search, 'knowledge', async (request) => {
      asked.push(request);
      if (request.userId !== owner.userId || !request.collectionIds?.every((id) => id === collection))
        throw new DomainError('not_found', 'No such collection.');
      const hits = /refund/i.test(request.query)
        ? [
            {
              chunkId: randomUUID(),
              documentId: randomUUID(),
              documentName: 'Refunds.md',
              collectionId: collection,
              headingPath: ['Refunds'],
              charStart: 0,
              charEnd: 36,
              content: 'Refunds reach your card within 5 days.',
              snippet: '<b>Refunds</b> reach your card',
              score: 0.9,
              textRank: 1,
              vectorRank: 1,
              textScore: 1.2,
              vectorScore: 0.8,
            },
          ]
        : [];
      return { hits };
    });
    try {
      const workflow = await fromTemplate('Answer from a knowledge base');
      await changeWorkflow(h, owner.token, workflow.id, { status: 'active' });
      const answered = await hook(workflow.id, 'ask', {
        question: 'How long do refunds take?',
        collectionIds: [collection],
      });
      expect(answered.statusCode, answered.body).toBe(200);
      expect(answered.json()).toEqual({
        question: 'How long do refunds take?',
        answer: 'Refunds reach your card within 5 days.',
        sources: ['Refunds.md'],
      });
      expect(asked[0]).toMatchObject({
        userId: owner.userId,
        collectionIds: [collection],
        query: 'How long do refunds take?',
        k: 3,
      });

      const unanswered = await hook(workflow.id, 'ask', {
        question: 'Do you ship to Mars?',
        collectionIds: [collection],
      });
      expect(unanswered.statusCode, unanswered.body).toBe(404);
      expect(unanswered.json()).toMatchObject({ question: 'Do you ship to Mars?', answer: null });

      // A collection the owner may not read answers nothing from it: the execution fails at the search.
      const refused = await hook(workflow.id, 'ask', { question: 'refunds?', collectionIds: [randomUUID()] });
      expect(refused.statusCode).toBe(502);
      const [failed] = await h.admin`select status, error_node from workflow.workflow_executions
        where workflow_id = ${workflow.id} order by created_at desc limit 1`;
      expect(failed).toMatchObject({ status: 'error', error_node: 'Search' });
    } finally {
      await search.stop();
    }
  });

  it('ticket router: routes by priority and tells the caller the queue', async () => {
    const workflow = await fromTemplate('Ticket router');
    await changeWorkflow(h, owner.token, workflow.id, { status: 'active' });
    for (const [priority, queue] of [
      ['urgent', 'pager'],
      ['high', 'today'],
      ['low', 'backlog'],
    ]) {
      const res = await hook(workflow.id, 'tickets', { priority, subject: `a ${priority} one` });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ queue, subject: `a ${priority} one` });
    }
  });

  it('scheduled digest: a tick composes the digest', async () => {
    const workflow = await fromTemplate('Scheduled digest');
    const active = await changeWorkflow(h, owner.token, workflow.id, { status: 'active' });
    const trigger = active.nodes.find((node) => node.type === 'schedule')!;
    const executionId = await fireScheduleJob(h.deps, { workflowId: workflow.id, nodeId: trigger.id });
    const execution = await waitForExecution(h, owner.token, executionId);
    expect(execution.status).toBe('success');
    const today = new Date().toISOString().slice(0, 10);
    expect(execution.output).toEqual([
      expect.objectContaining({ title: `Digest for ${today}`, weekday: expect.stringMatching(/day$/) }),
    ]);
    await changeWorkflow(h, owner.token, workflow.id, { status: 'paused' });
  });

  it('lead scoring: scores leads with its script and tags them hot or cold', async () => {
    const workflow = await fromTemplate('Lead scoring');
    const execution = await waitForExecution(
      h,
      owner.token,
      await runWorkflow(h, owner.token, workflow.id, [
        { name: 'Big Co', employees: 500, budget: 50_000, country: 'US' },
        { name: 'Tiny Co', employees: 3, budget: 500, country: 'FR' },
      ]),
    );
    expect(execution.status).toBe('success');
    expect(execution.output).toEqual([
      expect.objectContaining({ name: 'Big Co', score: 100, tier: 'hot' }),
      expect.objectContaining({ name: 'Tiny Co', score: 0, tier: 'cold' }),
    ]);
  });

  it('delayed follow-up: waits, then writes the follow-up', async () => {
    const workflow = await fromTemplate('Delayed follow-up');
    const started = Date.now();
    const execution = await waitForExecution(
      h,
      owner.token,
      await runWorkflow(h, owner.token, workflow.id, [{ name: 'Ann' }]),
    );
    expect(execution.status).toBe('success');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    expect(execution.output).toEqual([expect.objectContaining({ message: 'Hello Ann, just following up.' })]);
  });

  it('clean a contact list: normalises rows and sets the unusable ones apart', async () => {
    const workflow = await fromTemplate('Clean a contact list');
    const execution = await waitForExecution(
      h,
      owner.token,
      await runWorkflow(h, owner.token, workflow.id, [
        { name: ' Ann ', email: ' ANN@example.com' },
        { name: 'Bob', email: 'bob at example' },
        { name: 'Cy' },
      ]),
    );
    expect(execution.status).toBe('success');
    const byNode = Object.fromEntries(execution.nodes.map((node) => [node.nodeName, node.output]));
    expect(byNode['Clean rows']).toEqual({ main: [{ name: 'Ann', email: 'ann@example.com' }] });
    expect(byNode['Set apart']).toEqual({
      main: [
        {
          name: 'Bob',
          email: 'bob at example',
          rejected: true,
          reason: 'not an e-mail address: bob at example',
        },
        { name: 'Cy', email: '', rejected: true, reason: 'no e-mail address' },
      ],
    });
  });

  it('welcome new users: follows up on identity.user.registered', async () => {
    const workflow = await fromTemplate('Welcome new users');
    await changeWorkflow(h, owner.token, workflow.id, { status: 'active' });
    const registered = await publishEvent(h, identityEvents.userRegistered, {
      userId: randomUUID(),
      organizationId: randomUUID(),
      email: 'new@example.com',
      username: 'newbie',
      name: null,
    });
    const deadline = Date.now() + 15_000;
    let executionId: string | undefined;
    while (!executionId) {
      [{ id: executionId } = { id: undefined }] = await h.admin`select id from workflow.workflow_executions
        where workflow_id = ${workflow.id} and trigger_type = 'event'`;
      if (Date.now() > deadline) throw new Error('the event did not start the workflow');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const execution = await waitForExecution(h, owner.token, executionId);
    expect(execution.status).toBe('success');
    expect(execution.output).toEqual([
      { to: 'new@example.com', subject: 'Welcome, newbie!', userId: registered.data.userId },
    ]);
  });

  it('count each use, and a workflow from a template is a private draft of the caller', async () => {
    const before = (await officialTemplates()).find((t) => t.name === 'Lead scoring')!;
    const res = await call(teammate, 'POST', `/v1/workflows/templates/${before.id}/use`, {
      name: 'Our scoring',
      teamId,
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ name: 'Our scoring', teamId, status: 'draft', isPublic: false });
    const after = (await officialTemplates()).find((t) => t.name === 'Lead scoring')!;
    expect(after.usageCount).toBe(before.usageCount + 1);
  });
});

describe('own templates', () => {
  it('are saved from a valid document, seen by their owner and team only, and deleted by them', async () => {
    const body = { name: 'Team starter', category: 'starters', document: chain('starter', []), teamId };
    const created = await call(owner, 'POST', '/v1/workflows/templates', body);
    expect(created.statusCode, created.body).toBe(201);
    const template = created.json();
    expect(template).toMatchObject({ isOfficial: false, teamId, usageCount: 0 });
    const url = `/v1/workflows/templates/${template.id}`;
    expect((await call(teammate, 'GET', url)).statusCode).toBe(200);
    expect((await call(stranger, 'GET', url)).statusCode).toBe(404);
    expect((await call(stranger, 'POST', `${url}/use`, {})).statusCode).toBe(404);
    expect((await call(stranger, 'DELETE', url)).statusCode).toBe(404);
    const listed = await call(stranger, 'GET', '/v1/workflows/templates?category=starters');
    expect(listed.json().items).toEqual([]);

    const broken = await call(owner, 'POST', '/v1/workflows/templates', {
      ...body,
      document: { name: 'no trigger', nodes: [{ name: 'Lonely', type: 'no-op' }] },
    });
    expect(broken.statusCode).toBe(422);
    const official = (await officialTemplates())[0]!;
    expect((await call(owner, 'DELETE', `/v1/workflows/templates/${official.id}`)).statusCode).toBe(403);
    expect((await call(teammate, 'DELETE', url)).statusCode).toBe(204);
    expect((await call(owner, 'GET', url)).statusCode).toBe(404);
    const [counted] =
      await h.admin`select count(*)::int as n from workflow.workflow_templates where is_official`;
    expect(counted!.n).toBeGreaterThanOrEqual(6);
  });
});
