import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveBotOwners } from '../fixtures/bot-owners.js';
import { bearer, type MailHarness, startMailHarness } from '../fixtures/mail-harness.js';

// A mailbox that names a bot sends the bot's mail and holds its drafts: only the bot's managers
// name it, and only on a mailbox of the bot's owner. Bots are conversation's, asked over the bus.
let h: MailHarness;
let owners: ReturnType<typeof serveBotOwners>;
const box = { user: 'bots-box@example.test', password: 'bots-box-secret' };
const TEAM = randomUUID();

beforeAll(async () => {
  h = await startMailHarness({ worker: false, users: [box], env: { SYNC_EVERY: '1h' } });
  owners = serveBotOwners(h.bus);
}, 120_000);
afterAll(async () => {
  await owners?.stop();
  await h?.close();
});

const accountBody = (extra: Record<string, unknown>) => ({
  emailAddress: box.user,
  imap: { host: h.dovecot.host, port: h.dovecot.imapPort, security: 'none' },
  smtp: { host: h.smtp.host, port: h.smtp.port, security: 'none' },
  password: box.password,
  ...extra,
});
const connect = (token: string, extra: Record<string, unknown>) =>
  h.app.inject({
    method: 'POST',
    url: '/v1/mail/accounts',
    headers: bearer(token),
    payload: accountBody(extra),
  });
const countNaming = async (botId: string) =>
  (await h.admin`select count(*)::int as n from email.user_email_accounts where bot_id = ${botId}`)[0]!.n;

describe('naming a bot on a mail account', () => {
  it("lets a personal bot's owner name it on their own account", async () => {
    const owner = await h.tokens.mint();
    const botId = randomUUID();
    owners.bots.set(botId, { ownerUserId: owner.userId, teamId: null, orgId: null });
    const res = await connect(owner.token, { botId });
    expect(res.statusCode, res.body).toBe(201);
    expect(await countNaming(botId)).toBe(1);
  });

  it("refuses a stranger naming someone else's bot as for a bot that does not exist, and stores nothing", async () => {
    const botId = randomUUID();
    owners.bots.set(botId, { ownerUserId: randomUUID(), teamId: null, orgId: null });
    const stranger = await h.tokens.mint();
    const refused = await connect(stranger.token, { botId });
    const unknown = await connect(stranger.token, { botId: randomUUID() });
    expect([refused.statusCode, unknown.statusCode]).toEqual([404, 404]);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(await countNaming(botId)).toBe(0);
  });

  it("lets a team bot's owners and admins name it on the team's account only; members are refused", async () => {
    const botId = randomUUID();
    owners.bots.set(botId, { ownerUserId: randomUUID(), teamId: TEAM, orgId: null });
    const admin = await h.tokens.mint({ teams: { [TEAM]: 'admin' } });
    const member = await h.tokens.mint({ teams: { [TEAM]: 'member' } });
    expect((await connect(member.token, { botId, teamId: TEAM })).statusCode).toBe(403);
    const personal = await connect(admin.token, { botId });
    expect(personal.statusCode).toBe(422);
    expect(personal.json().detail).toContain("team's accounts");
    expect(await countNaming(botId)).toBe(0);
    const team = await connect(admin.token, { botId, teamId: TEAM });
    expect(team.statusCode, team.body).toBe(201);
    expect(await countNaming(botId)).toBe(1);
  });

  it('checks a bot named later, on a change, the same way', async () => {
    const owner = await h.tokens.mint();
    const created = await connect(owner.token, {});
    expect(created.statusCode, created.body).toBe(201);
    const accountId = created.json().id as string;
    const othersBot = randomUUID();
    owners.bots.set(othersBot, { ownerUserId: randomUUID(), teamId: null, orgId: null });
    const patch = (botId: string) =>
      h.app.inject({
        method: 'PATCH',
        url: `/v1/mail/accounts/${accountId}`,
        headers: bearer(owner.token),
        payload: { botId },
      });
    expect((await patch(othersBot)).statusCode).toBe(404);
    expect(await countNaming(othersBot)).toBe(0);
    const mine = randomUUID();
    owners.bots.set(mine, { ownerUserId: owner.userId, teamId: null, orgId: null });
    expect((await patch(mine)).statusCode).toBe(200);
    expect(await countNaming(mine)).toBe(1);
  });
});
