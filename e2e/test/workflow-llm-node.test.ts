import { randomUUID } from 'node:crypto';
import {
  type ConversationHarness,
  startConversationHarness,
} from '@conduit/conversation/test/fixtures/conversation-harness.js';
import { startOpenAiServer } from '@conduit/conversation/test/fixtures/openai-server.js';
import {
  chain,
  createWorkflow,
  runWorkflow,
  startWorkflowHarness,
  type WorkflowHarness,
  waitForExecution,
} from '@conduit/workflow-engine/test/fixtures/workflow-harness.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The workflow engine's llm node against the real conversation service on one bus: completions
// through conversation's providers (its offline one, and a local OpenAI-compatible server), as the
// workflow's owner, charged to the workflow's payer.
let wf: WorkflowHarness;
let conversation: ConversationHarness;
let llm: Awaited<ReturnType<typeof startOpenAiServer>>;
const orgId = randomUUID();
const teamId = randomUUID();

beforeAll(async () => {
  llm = await startOpenAiServer();
  wf = await startWorkflowHarness();
  // Identity's usage RPC is answered once on the shared bus: by the workflow harness's stand-in.
  conversation = await startConversationHarness({ namespace: wf.childEnv.BUS_NAMESPACE, usage: false });
  const admin = await conversation.tokens.mint({ orgId, perms: ['org.manage', 'bots.read', 'bots.write'] });
  const provider = await conversation.app.inject({
    method: 'POST',
    url: '/v1/providers',
    headers: admin.headers,
    payload: { name: 'Local', baseUrl: llm.url, apiKey: 'sk-test' },
  });
  const model = await conversation.app.inject({
    method: 'POST',
    url: '/v1/models',
    headers: admin.headers,
    payload: { providerId: provider.json().id, name: 'echo' },
  });
  expect(model.statusCode, model.body).toBe(201);
}, 90_000);
afterAll(async () => {
  await conversation?.close();
  await wf?.close();
  await llm?.close();
}, 30_000);

const asking = (name: string, config: object) =>
  chain(name, [
    { name: 'Ask', type: 'llm', config: { prompt: 'Question: {{ question }}', maxTokens: 100, ...config } },
  ]);

describe('the llm node', () => {
  it("answers each item through a model of the workflow owner's organization, charging the team", async () => {
    const owner = await wf.tokens.mint({ orgId, teams: { [teamId]: 'owner' } });
    const workflow = await createWorkflow(wf, owner.token, {
      ...asking('ask echo', { model: 'echo' }),
      teamId,
    });
    const done = await waitForExecution(
      wf,
      owner.token,
      await runWorkflow(wf, owner.token, workflow.id, [{ question: 'why?' }, { question: 'how?' }]),
    );
    expect(done.status).toBe('success');
    expect(done.output).toEqual([
      { question: 'why?', completion: 'You said: Question: why?.' },
      { question: 'how?', completion: 'You said: Question: how?.' },
    ]);
    const charged = wf.usage.calls.filter((call) => call.items.some((item) => item.metric === 'ai_credits'));
    expect(charged).toHaveLength(2);
    expect(charged.every((call) => call.subject.type === 'team' && call.subject.id === teamId)).toBe(true);
  });

  it('answers offline without a model, and fails at once on a model the owner may not use', async () => {
    const owner = await wf.tokens.mint({ orgId });
    const offline = await createWorkflow(wf, owner.token, asking('ask offline', {}));
    const answered = await waitForExecution(
      wf,
      owner.token,
      await runWorkflow(wf, owner.token, offline.id, [{ question: 'hi' }]),
    );
    expect(answered.status).toBe('success');
    expect((answered.output as { completion: string }[])[0]!.completion.length).toBeGreaterThan(0);

    const outsider = await wf.tokens.mint({ orgId: randomUUID() });
    const borrowed = await createWorkflow(
      wf,
      outsider.token,
      asking('ask echo elsewhere', { model: 'echo' }),
    );
    const refused = await waitForExecution(
      wf,
      outsider.token,
      await runWorkflow(wf, outsider.token, borrowed.id, [{ question: 'hi' }]),
    );
    expect(refused).toMatchObject({
      status: 'error',
      errorNode: 'Ask',
      error: expect.stringContaining('No such chat model'),
    });
    expect(refused.nodes.find((node) => node.nodeName === 'Ask')!.attempt).toBe(1);
  });
});
