import { randomUUID } from 'node:crypto';
import { unrefusedCursors, walkPages } from '@conduit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveConversationBots } from '../fixtures/conversation-bots.js';
import {
  bearer,
  chain,
  changeWorkflow,
  createWorkflow,
  runWorkflow,
  startWorkflowHarness,
  type WorkflowHarness,
  waitForExecution,
} from '../fixtures/workflow-harness.js';

// Every list route of the workflow engine, read two items at a time from the first page to the
// last, against the same list read whole in one page.

let h: WorkflowHarness;
let conversation: ReturnType<typeof serveConversationBots>;
let token: string;
let workflowId: string;
let botId: string;
let automationId: string;
/** The integrations catalog's HTTP bearer-token entry (seeded). */
const HTTP_BEARER = '01935c2e-0000-7000-8000-000000000001';

beforeAll(async () => {
  h = await startWorkflowHarness();
  conversation = serveConversationBots(h);
  const owner = await h.tokens.mint();
  ({ token } = owner);
  const post = async (url: string, payload: object) => {
    const res = await h.app.inject({ method: 'POST', url, headers: bearer(token), payload });
    expect(res.statusCode, res.body).toBeLessThan(300);
    return res.json() as { id: string; runId?: string };
  };
  for (const name of ['one', 'two', 'three', 'four', 'five'])
    workflowId = (await createWorkflow(h, token, chain(name, [{ name: 'Done', type: 'no-op' }]))).id;
  for (const description of ['second', 'third', 'fourth', 'fifth'])
    await changeWorkflow(h, token, workflowId, { description });
  for (let run = 0; run < 5; run++) await waitForExecution(h, token, await runWorkflow(h, token, workflowId));
  for (const name of ['one', 'two', 'three', 'four', 'five']) {
    await post('/v1/workflows/credentials', {
      name,
      secret: { kind: 'bearer', token: `tok-${randomUUID()}` },
    });
    await post('/v1/integrations/connections', {
      integrationId: HTTP_BEARER,
      name,
      config: { baseUrl: 'https://crm.example.com/api', token: `tok-${randomUUID()}` },
    });
    const grantee = await h.tokens.mint();
    await post(`/v1/workflows/${workflowId}/shares`, { userId: grantee.userId, permission: 'view' });
  }
  botId = (await conversation.save({ ownerUserId: owner.userId })).id;
  for (const name of ['one', 'two', 'three', 'four', 'five'])
    automationId = (
      await post(`/v1/bots/${botId}/automations`, { name, schedule: '0 3 * * *', script: `TALK "${name}"` })
    ).id;
  // Runs one at a time: each finishes before the next is asked for.
  for (let run = 0; run < 5; run++) {
    const { runId } = await post(`/v1/bots/${botId}/automations/${automationId}/run`, {});
    const deadline = Date.now() + 30_000;
    for (;;) {
      const [row] = await h.admin`select status from workflow.automation_runs where id = ${runId!}`;
      if (row && row.status !== 'running') break;
      if (Date.now() > deadline) throw new Error(`automation run ${runId} did not finish`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}, 180_000);
afterAll(async () => {
  await conversation?.stop();
  await h?.close();
});

const lists = () => ({
  workflows: '/v1/workflows',
  versions: `/v1/workflows/${workflowId}/versions`,
  executions: `/v1/executions?workflowId=${workflowId}`,
  templates: '/v1/workflows/templates',
  credentials: '/v1/workflows/credentials',
  connections: '/v1/integrations/connections',
  integrations: '/v1/integrations',
  shares: `/v1/workflows/${workflowId}/shares`,
  automations: `/v1/bots/${botId}/automations`,
  'automation runs': `/v1/bots/${botId}/automations/${automationId}/runs`,
});

const get = (path: string) => (query: string) =>
  h.app.inject({
    method: 'GET',
    url: `${path}${path.includes('?') ? '&' : '?'}${query}`,
    headers: bearer(token),
  });

describe('every list of the workflow engine', () => {
  for (const name of Object.keys(lists()) as (keyof ReturnType<typeof lists>)[]) {
    it(`${name}: two at a time, every item once and in order; a tampered cursor answers 400`, async () => {
      const path = lists()[name];
      const whole = (await get(path)('limit=100')).json() as { items: unknown[]; nextCursor: string | null };
      expect(whole.nextCursor).toBeNull();
      expect(whole.items.length).toBeGreaterThanOrEqual(5);
      expect(await walkPages(get(path), 2)).toEqual(whole.items);

      const first = (await get(path)('limit=2')).json() as { nextCursor: string };
      expect(await unrefusedCursors(get(path), first.nextCursor)).toEqual([]);
    });
  }
});
