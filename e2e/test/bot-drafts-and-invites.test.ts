import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import {
  type ConversationHarness,
  startConversationHarness,
} from '@conduit/conversation/test/fixtures/conversation-harness.js';
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
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// CREATE DRAFT and ADD MEMBER of issue #19 (family 6) from a bot's dialog: conversation asks
// email-sync for a draft in the bot's mailbox (rpc.email.bot_drafts.create) and identity for a team
// invite sent as the bot's owner (rpc.identity.teams.invite), each on the real service over the bus.

let identity: IdentityHarness;
let mail: MailHarness;
let conversation: ConversationHarness;
const mailbox = { user: 'sales-bot@example.test', password: 'bot-password-1' };
const quotesMailbox = { user: 'quotes-bot@example.test', password: 'bot-password-2' };

beforeAll(async () => {
  identity = await startIdentityHarness();
  const identityUrl = await identity.app.listen({ port: 0, host: '127.0.0.1' });
  mail = await startMailHarness({
    worker: false,
    users: [mailbox, quotesMailbox],
    env: { BUS_NAMESPACE: identity.namespace, SYNC_EVERY: '1h' },
  });
  conversation = await startConversationHarness({
    namespace: identity.namespace,
    usage: false,
    identityJwks: true,
    env: { IDENTITY_URL: identityUrl },
  });
}, 120_000);
afterAll(async () => {
  await conversation?.close();
  await mail?.close();
  await identity?.close();
});

type User = Awaited<ReturnType<typeof registerUser>>;

async function botOf(owner: User, script: string) {
  const bot = await conversation.app.inject({
    method: 'POST',
    url: '/v1/bots',
    headers: bearer(owner.accessToken),
    payload: { name: 'Sales bot', script },
  });
  expect(bot.statusCode, bot.body).toBe(201);
  return bot.json().id as string;
}

async function chat(botId: string, who: User): Promise<string[]> {
  const started = await conversation.app.inject({
    method: 'POST',
    url: `/v1/bots/${botId}/sessions`,
    headers: bearer(who.accessToken),
    payload: {},
  });
  expect(started.statusCode, started.body).toBe(201);
  return started
    .json()
    .messages.filter((m: { sender: string }) => m.sender !== 'user')
    .map((m: { content: string }) => m.content);
}

async function teamOf(owner: User, name: string) {
  const team = await identity.app.inject({
    method: 'POST',
    url: '/v1/teams',
    headers: bearer(owner.accessToken),
    payload: { name },
  });
  expect(team.statusCode, team.body).toBe(201);
  return team.json().id as string;
}

describe('CREATE DRAFT', () => {
  it("puts a draft in the bot's mailbox, as the mailbox owner's, and answers its id", async () => {
    const owner = await registerUser(identity);
    const botId = await botOf(
      owner,
      `id = CREATE DRAFT "ana@acme.io; eva@acme.io", "Your quote", "Hello Ana, 12 seats cost 144 a month."
TALK "Draft " & id & " is ready for review."`,
    );
    // The mailbox's owner names the bot on their account.
    const mailToken = await mail.tokens.mint({ userId: owner.user.id });
    const account = await connectAccount(mail, mailToken.token, mailbox, { botId });

    const said = await chat(botId, owner);
    const draftId = /^Draft ([0-9a-f-]{36}) is ready for review\.$/.exec(said[0] ?? '')?.[1];
    expect(draftId, said.join('\n')).toBeDefined();
    const rows = await mail.admin<
      {
        id: string;
        account_id: string;
        user_id: string;
        to_addresses: string[];
        subject: string;
        body: string;
      }[]
    >`select id, account_id, user_id, to_addresses, subject, body from email.email_drafts`;
    expect(rows).toEqual([
      {
        id: draftId,
        account_id: account.id,
        user_id: owner.user.id,
        to_addresses: ['ana@acme.io', 'eva@acme.io'],
        subject: 'Your quote',
        body: 'Hello Ana, 12 seats cost 144 a month.',
      },
    ]);
    // The owner finds it among their drafts.
    const listed = await mail.app.inject({
      method: 'GET',
      url: '/v1/mail/drafts',
      headers: mailToken.headers,
    });
    expect(listed.json().items.map((d: { id: string }) => d.id)).toContain(draftId);
  });

  it('tells the script when the bot has no mailbox, or a recipient is not an address, and writes nothing', async () => {
    const owner = await registerUser(identity);
    const [before] = await mail.admin<{ n: number }[]>`select count(*)::int as n from email.email_drafts`;
    const noMailbox = await chat(await botOf(owner, 'x = CREATE DRAFT "ana@acme.io", "s", "b"'), owner);
    expect(noMailbox[0]).toMatch(/CREATE DRAFT failed: this bot has no mail account/);
    const badAddress = await chat(await botOf(owner, 'x = CREATE DRAFT "not an address", "s", "b"'), owner);
    expect(badAddress[0]).toMatch(/CREATE DRAFT failed: the draft is not valid/);
    const [after] = await mail.admin<{ n: number }[]>`select count(*)::int as n from email.email_drafts`;
    expect(after!.n).toBe(before!.n);
  });
});

describe('ADD MEMBER', () => {
  it("invites into a team of the bot's owner (by name or id) as the owner", async () => {
    const owner = await registerUser(identity);
    const teamId = await teamOf(owner, 'Sales');
    const invitee = uniqueEmail('invitee');
    const second = uniqueEmail('second');
    const botId = await botOf(
      owner,
      `id = ADD MEMBER "${invitee}", "sales"
TALK "invited " & LEN(id)
ADD MEMBER "${second}", "${teamId}"
TALK "done"`,
    );
    expect(await chat(botId, owner)).toEqual(['invited 36', 'done']);
    const invites = await identity.admin<
      { email: string; team_id: string; role: string; invited_by: string }[]
    >`
      select email, team_id, role, invited_by from identity.invites where team_id = ${teamId} order by created_at`;
    expect(invites).toEqual([
      { email: invitee, team_id: teamId, role: 'member', invited_by: owner.user.id },
      { email: second, team_id: teamId, role: 'member', invited_by: owner.user.id },
    ]);
    // The invite mail went out, as one sent over HTTP does.
    for (let waited = 0; identity.mail.to(invitee).length === 0 && waited < 10_000; waited += 100)
      await new Promise((r) => setTimeout(r, 100));
    expect(identity.mail.to(invitee)).toHaveLength(1);
  });

  it('refuses a team the owner is not in, or may not invite to, and invites nobody', async () => {
    const owner = await registerUser(identity);
    const otherOwner = await registerUser(identity);
    const foreignTeam = await teamOf(otherOwner, 'Foreign');
    const ownTeam = await teamOf(otherOwner, 'Shared');
    // The bot's owner is a plain member of "Shared": members do not invite.
    await identity.admin`insert into identity.team_members (team_id, user_id, role) values (${ownTeam}, ${owner.user.id}, 'member')`;
    const stranger = await chat(
      await botOf(owner, `x = ADD MEMBER "${uniqueEmail()}", "${foreignTeam}"`),
      owner,
    );
    expect(stranger[0]).toMatch(/ADD MEMBER failed: No team "[0-9a-f-]+" of the bot's owner/);
    const member = await chat(await botOf(owner, `x = ADD MEMBER "${uniqueEmail()}", "Shared"`), owner);
    expect(member[0]).toMatch(/ADD MEMBER failed: Only team owners and admins manage members/);
    const [invites] = await identity.admin<{ n: number }[]>`
      select count(*)::int as n from identity.invites where team_id in (${foreignTeam}, ${ownTeam})`;
    expect(invites!.n).toBe(0);
  });
});

describe('examples/basic/quote-draft.bas', () => {
  it('prices in the sandbox, leaves the quote as a draft in the bot mailbox and invites the customer', async () => {
    const owner = await registerUser(identity);
    const teamId = await teamOf(owner, 'Customers');
    const script = await readFile(
      fileURLToPath(new URL('../../examples/basic/quote-draft.bas', import.meta.url)),
      'utf8',
    );
    const botId = await botOf(owner, script);
    const mailToken = await mail.tokens.mint({ userId: owner.user.id });
    const account = await connectAccount(mail, mailToken.token, quotesMailbox, { botId });
    const headers = bearer(owner.accessToken);
    const started = await conversation.app.inject({
      method: 'POST',
      url: `/v1/bots/${botId}/sessions`,
      headers,
      payload: {},
    });
    expect(started.statusCode, started.body).toBe(201);
    const say = async (text: string) => {
      const reply = await conversation.app.inject({
        method: 'POST',
        url: `/v1/sessions/${started.json().session.id}/messages`,
        headers,
        payload: { text },
      });
      expect(reply.statusCode, reply.body).toBe(201);
      return reply
        .json()
        .messages.filter((m: { sender: string }) => m.sender !== 'user')
        .map((m: { content: string }) => m.content);
    };
    const customer = uniqueEmail('customer');
    expect(await say('25')).toEqual(['What is your email?']);
    expect(await say(customer)).toEqual([
      `Thanks! 25 seats come to 275 a month. A salesperson will check the quote and send it to ${customer}.`,
    ]);
    const drafts = await mail.admin<{ to_addresses: string[]; subject: string; body: string }[]>`
      select to_addresses, subject, body from email.email_drafts where account_id = ${account.id}`;
    expect(drafts).toEqual([
      {
        to_addresses: [customer],
        subject: 'Your quote for 25 seats',
        body: 'Hello, 25 seats at 11 cost 275 a month.',
      },
    ]);
    const invites = await identity.admin<{ email: string }[]>`
      select email from identity.invites where team_id = ${teamId}`;
    expect(invites).toEqual([{ email: customer }]);
  });
});
