import {
  connectAccount,
  type MailHarness,
  startMailHarness,
} from '@conduit/email-sync/test/fixtures/mail-harness.js';
import {
  bearer,
  type IdentityHarness,
  registerUser,
  startIdentityHarness,
  uniqueEmail,
} from '@conduit/identity/test/fixtures/identity-harness.js';
import { serveConversationBots } from '@conduit/workflow-engine/test/fixtures/conversation-bots.js';
import {
  startWorkflowHarness,
  type WorkflowHarness,
} from '@conduit/workflow-engine/test/fixtures/workflow-harness.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// CREATE DRAFT and ADD MEMBER of a bot automation whose run is tried again: the workflow engine's
// worker runs the script, email-sync and identity (real services, one bus) make the draft and the
// invite, then a keyword fails because a service did not answer and the job tries the whole run
// again. Each call is known by the same key on both attempts (automation:<run>:draft:0 and
// automation:<run>:invite:0), so the retry finds what the first attempt made: one draft, one
// invite, one invite mail.

let identity: IdentityHarness;
let mail: MailHarness;
let workflow: WorkflowHarness;
let conversation: ReturnType<typeof serveConversationBots>;
const mailbox = { user: 'retry-bot@example.test', password: 'bot-password-3' };

beforeAll(async () => {
  identity = await startIdentityHarness();
  [mail, workflow] = await Promise.all([
    startMailHarness({
      worker: false,
      users: [mailbox],
      env: { BUS_NAMESPACE: identity.namespace, SYNC_EVERY: '1h' },
    }),
    startWorkflowHarness({ env: { BUS_NAMESPACE: identity.namespace } }),
  ]);
  // Conversation's side of automations (bots, their owner and memory RPCs), whose memory RPC can
  // be made to fail as a restarting conversation would.
  conversation = serveConversationBots(workflow);
}, 180_000);
afterAll(async () => {
  await conversation?.stop();
  await mail?.close();
  await workflow?.close();
  await identity?.close();
}, 60_000);

describe('a retried automation run', () => {
  it('makes one draft and one invite, however many attempts the run took', async () => {
    const owner = await registerUser(identity);
    const team = await identity.app.inject({
      method: 'POST',
      url: '/v1/teams',
      headers: bearer(owner.accessToken),
      payload: { name: 'Customers' },
    });
    expect(team.statusCode, team.body).toBe(201);
    const teamId = team.json().id as string;
    const bot = await conversation.save({ ownerUserId: owner.user.id });
    const mailToken = await mail.tokens.mint({ userId: owner.user.id });
    const account = await connectAccount(mail, mailToken.token, mailbox, { botId: bot.id });
    const invitee = uniqueEmail('retried');

    const engine = await workflow.tokens.mint({ userId: owner.user.id });
    const made = await workflow.app.inject({
      method: 'POST',
      url: `/v1/bots/${bot.id}/automations`,
      headers: engine.headers,
      payload: {
        name: 'follow up',
        schedule: '0 3 * * *',
        script: [
          'd = CREATE DRAFT "ana@acme.io", "Your quote", "Hello Ana"',
          `m = ADD MEMBER "${invitee}", "${teamId}"`,
          'SET BOT MEMORY "followed up", "yes"',
          'TALK "done"',
        ].join('\n'),
      },
    });
    expect(made.statusCode, made.body).toBe(201);
    // The first attempt's SET BOT MEMORY finds conversation down: the run is tried again.
    conversation.state.memoryOutages = 1;
    const asked = await workflow.app.inject({
      method: 'POST',
      url: `/v1/bots/${bot.id}/automations/${made.json().id}/run`,
      headers: engine.headers,
    });
    expect(asked.statusCode, asked.body).toBeLessThan(300);
    const runId = asked.json().runId as string;
    let run: { status: string; attempt: number; output: string[] } | undefined;
    for (let waited = 0; waited < 60_000 && run?.status !== 'success'; waited += 200) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const runs = await workflow.app.inject({
        method: 'GET',
        url: `/v1/bots/${bot.id}/automations/${made.json().id}/runs`,
        headers: engine.headers,
      });
      run = runs.json().items.find((r: { id: string }) => r.id === runId);
    }
    expect(run).toMatchObject({ status: 'success', attempt: 2, output: ['done'] });

    const drafts = await mail.admin<{ idempotency_key: string; to_addresses: string[] }[]>`
      select idempotency_key, to_addresses from email.email_drafts where account_id = ${account.id}`;
    expect(drafts).toEqual([
      { idempotency_key: `automation:${runId}:draft:0`, to_addresses: ['ana@acme.io'] },
    ]);
    const invites = await identity.admin<{ email: string; idempotency_key: string }[]>`
      select email, idempotency_key from identity.invites where team_id = ${teamId}`;
    expect(invites).toEqual([{ email: invitee, idempotency_key: `automation:${runId}:invite:0` }]);
    for (let waited = 0; identity.mail.to(invitee).length === 0 && waited < 10_000; waited += 100)
      await new Promise((resolve) => setTimeout(resolve, 100));
    // Give a second mail, were there one, the time the first took.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(identity.mail.to(invitee)).toHaveLength(1);
  });
});
