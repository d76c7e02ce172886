import { requestRpc } from '@conduit/bus';
import { releaseUsage, reserveUsage } from '@conduit/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { creditsOf, ledgerOf } from '../fixtures/credits.js';
import {
  bearer,
  type IdentityHarness,
  registerUser,
  startIdentityHarness,
} from '../fixtures/identity-harness.js';
import { createTeam, registerPlatformAdmin } from '../fixtures/usage-subjects.js';

let h: IdentityHarness;
let admin: Awaited<ReturnType<typeof registerPlatformAdmin>>;

beforeAll(async () => {
  h = await startIdentityHarness();
  admin = await registerPlatformAdmin(h);
}, 60_000);
afterAll(() => h?.close(), 30_000);

const send = (method: 'GET' | 'PATCH' | 'POST', url: string, accessToken?: string, payload?: unknown) =>
  h.app.inject({
    method,
    url,
    headers: accessToken ? bearer(accessToken) : {},
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
const topUp = (accessToken: string | undefined, type: 'users' | 'teams', id: string, payload: unknown) =>
  send('POST', `/v1/admin/${type}/${id}/credits`, accessToken, payload);

describe('GET and PATCH /v1/me/profile', () => {
  it('answers my display name (the account name until I choose one) and a zero credit balance', async () => {
    const account = await registerUser(h, { name: 'Ada Lovelace' });
    const response = await send('GET', '/v1/me/profile', account.accessToken);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      userId: account.user.id,
      displayName: 'Ada Lovelace',
      displayNameSet: false,
      credits: 0,
    });

    const changed = await send('PATCH', '/v1/me/profile', account.accessToken, { displayName: 'ada' });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ displayName: 'ada', displayNameSet: true });
    expect((await send('GET', '/v1/me/profile', account.accessToken)).json()).toMatchObject({
      displayName: 'ada',
    });
    const cleared = await send('PATCH', '/v1/me/profile', account.accessToken, { displayName: null });
    expect(cleared.json()).toMatchObject({ displayName: 'Ada Lovelace', displayNameSet: false });
  });

  it('falls back to the username without a name', async () => {
    const account = await registerUser(h);
    expect((await send('GET', '/v1/me/profile', account.accessToken)).json()).toMatchObject({
      displayName: account.user.username,
    });
  });

  it('refuses anonymous callers (401) and bad input (400), storing nothing', async () => {
    expect((await send('GET', '/v1/me/profile')).statusCode).toBe(401);
    expect((await send('PATCH', '/v1/me/profile', undefined, { displayName: 'x' })).statusCode).toBe(401);
    const account = await registerUser(h);
    for (const payload of [{}, { displayName: '' }, { displayName: 7 }, { displayName: 'x', credits: 5 }]) {
      const response = await send('PATCH', '/v1/me/profile', account.accessToken, payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.headers['content-type']).toMatch(/problem\+json/);
    }
    const [rows] =
      await h.admin`select count(*)::int as n from identity.profiles where user_id = ${account.user.id}`;
    expect(rows!.n).toBe(0);
  });
});

describe('GET /v1/me/credits', () => {
  it("lists my top-ups, what AI usage drew and what came back, newest first; nobody else's", async () => {
    const account = await registerUser(h);
    const other = await registerUser(h);
    await topUp(admin.accessToken, 'users', account.user.id, { amount: 10, reason: 'starter pack' });
    await topUp(admin.accessToken, 'users', other.user.id, { amount: 99, reason: 'not yours' });
    const subject = { type: 'user' as const, id: account.user.id };
    await h.admin`update identity.usage_counters c set used = c."limit" from identity.user_subscriptions s
      where s.id = c.subscription_id and s.subject_type = 'user' and s.subject_id = ${account.user.id}
        and c.metric = 'ai_credits'`;
    const reserved = await requestRpc(h.bus, reserveUsage, {
      subject,
      items: [{ metric: 'ai_credits', amount: 4 }],
    });
    await requestRpc(h.bus, releaseUsage, {
      subject,
      items: [{ metric: 'ai_credits', amount: 1 }],
      periodEnd: reserved.periodEnd,
      reservationId: reserved.reservationId,
    });

    const response = await send('GET', '/v1/me/credits', account.accessToken);
    expect(response.statusCode).toBe(200);
    const { items, nextCursor } = response.json();
    expect(nextCursor).toBeNull();
    expect(
      items.map((e: { kind: string; amount: number; reason: string | null }) => [e.kind, e.amount, e.reason]),
    ).toEqual([
      ['release', 1, null],
      ['spend', -4, null],
      ['top_up', 10, 'starter pack'],
    ]);
    expect(items[0].reservationId).toBe(reserved.reservationId);
    expect(response.body).not.toContain(admin.user.id);
    expect((await send('GET', '/v1/me/profile', account.accessToken)).json()).toMatchObject({ credits: 7 });
    expect((await send('GET', '/v1/me/credits')).statusCode).toBe(401);
    expect((await send('GET', '/v1/me/credits?limit=0', account.accessToken)).statusCode).toBe(400);
  });
});

describe('POST /v1/admin/users/:id/credits and /v1/admin/teams/:id/credits', () => {
  it("tops up a user's balance, in the ledger and the audit trail, shown on their profile", async () => {
    const account = await registerUser(h);
    const first = await topUp(admin.accessToken, 'users', account.user.id, {
      amount: 250,
      reason: 'order 1',
    });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ subject: { type: 'user', id: account.user.id }, balance: 250 });
    const second = await topUp(admin.accessToken, 'users', account.user.id, {
      amount: 50,
      reason: 'goodwill',
    });
    expect(second.json()).toMatchObject({ balance: 300 });

    expect((await send('GET', '/v1/me/profile', account.accessToken)).json()).toMatchObject({ credits: 300 });
    const subject = { type: 'user' as const, id: account.user.id };
    expect(await creditsOf(h, subject)).toEqual({ balance: 300, ledger: 300 });
    expect((await ledgerOf(h, subject)).map((row) => [row.kind, Number(row.amount), row.reason])).toEqual([
      ['top_up', 250, 'order 1'],
      ['top_up', 50, 'goodwill'],
    ]);
    const audit = await h.admin<{ user_id: string; metadata: Record<string, unknown> }[]>`
      select user_id, metadata from identity.user_account_activities
      where type = 'credits_topped_up' and user_id = ${account.user.id} order by id`;
    expect(audit.map((row) => row.metadata)).toEqual([
      expect.objectContaining({ amount: 250, reason: 'order 1', balance: 250, toppedUpBy: admin.user.id }),
      expect.objectContaining({ amount: 50, reason: 'goodwill', balance: 300, toppedUpBy: admin.user.id }),
    ]);
  });

  it("tops up a team's balance", async () => {
    const owner = await registerUser(h);
    const teamId = await createTeam(h, { id: owner.user.id, organizationId: owner.user.organizationId });
    const response = await topUp(admin.accessToken, 'teams', teamId, { amount: 40, reason: 'team pack' });
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({ subject: { type: 'team', id: teamId }, balance: 40 });
    expect(await creditsOf(h, { type: 'team', id: teamId })).toEqual({ balance: 40, ledger: 40 });
    // Its members see it beside the team's plan; a stranger sees neither.
    const seen = await send('GET', `/v1/teams/${teamId}/subscription`, owner.accessToken);
    expect(seen.json()).toMatchObject({ subject: { type: 'team', id: teamId }, credits: 40 });
    const stranger = await registerUser(h);
    expect((await send('GET', `/v1/teams/${teamId}/subscription`, stranger.accessToken)).statusCode).toBe(
      404,
    );
    expect((await send('GET', '/v1/me/subscription', owner.accessToken)).json()).toMatchObject({
      credits: 0,
    });
  });

  it('keeps the balance equal to the ledger under 40 concurrent top-ups', async () => {
    const account = await registerUser(h);
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        topUp(admin.accessToken, 'users', account.user.id, { amount: i + 1, reason: `batch ${i}` }),
      ),
    );
    expect(answers.map((a) => a.statusCode)).toEqual(Array.from({ length: 40 }, () => 201));
    expect(await creditsOf(h, { type: 'user', id: account.user.id })).toEqual({ balance: 820, ledger: 820 });
  });

  it('refuses a normal user (403) and anonymous callers (401), changing nothing', async () => {
    const account = await registerUser(h);
    const payload = { amount: 1000, reason: 'myself' };
    const own = await topUp(account.accessToken, 'users', account.user.id, payload);
    expect(own.statusCode).toBe(403);
    expect(own.headers['content-type']).toMatch(/problem\+json/);
    expect((await topUp(undefined, 'users', account.user.id, payload)).statusCode).toBe(401);
    expect((await topUp(account.accessToken, 'teams', account.user.id, payload)).statusCode).toBe(403);
    expect(await creditsOf(h, { type: 'user', id: account.user.id })).toEqual({ balance: 0, ledger: 0 });
  });

  it('refuses an admin whose role was taken since their token was issued (403), for settings too', async () => {
    const former = await registerPlatformAdmin(h);
    await h.admin`delete from identity.role_user where user_id = ${former.user.id}`;
    const account = await registerUser(h);
    const refused = await topUp(former.accessToken, 'users', account.user.id, { amount: 5, reason: 'late' });
    expect(refused.statusCode).toBe(403);
    expect((await send('GET', '/v1/admin/settings', former.accessToken)).statusCode).toBe(403);
    expect(await creditsOf(h, { type: 'user', id: account.user.id })).toEqual({ balance: 0, ledger: 0 });
  });

  it('answers 404 for a subject that does not exist, and 400 for bad input', async () => {
    const missing = await topUp(admin.accessToken, 'users', crypto.randomUUID(), { amount: 1, reason: 'x' });
    expect(missing.statusCode).toBe(404);
    const account = await registerUser(h);
    for (const payload of [
      {},
      { amount: 0, reason: 'zero' },
      { amount: -5, reason: 'take away' },
      { amount: 1.5, reason: 'half' },
      { amount: 10_000_000_000, reason: 'too much' },
      { amount: '10', reason: 'text' },
      { amount: 10 },
      { amount: 10, reason: '' },
      { amount: 10, reason: 'x', extra: true },
    ]) {
      const response = await topUp(admin.accessToken, 'users', account.user.id, payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.headers['content-type']).toMatch(/problem\+json/);
    }
    expect(
      (await topUp(admin.accessToken, 'users', 'not-a-uuid', { amount: 1, reason: 'x' })).statusCode,
    ).toBe(400);
    expect(await creditsOf(h, { type: 'user', id: account.user.id })).toEqual({ balance: 0, ledger: 0 });
  });
});
