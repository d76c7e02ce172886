import { type EventSubscription, requestRpc, subscribeEvent } from '@conduit/bus';
import { getGlobalSettings, identityEvents } from '@conduit/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  type IdentityHarness,
  registerUser,
  STRONG_PASSWORD,
  startIdentityHarness,
  uniqueEmail,
} from '../fixtures/identity-harness.js';
import { tokenIn } from '../fixtures/smtp-inbox.js';
import { registerPlatformAdmin } from '../fixtures/usage-subjects.js';

/**
 * The global settings: public and admin routes, validation, audit and event, and what they change
 * (sign-up closed, the plan new users and teams start on, the settings RPC). Tests in this file
 * share one database's settings: each puts back the defaults when it is done.
 */
let h: IdentityHarness;
let admin: Awaited<ReturnType<typeof registerPlatformAdmin>>;
let subscription: EventSubscription;
/** identity.settings.changed as a consumer receives it from JetStream (envelope validated). */
const announced: unknown[] = [];

const defaults = { siteName: 'Conduit', defaultPlan: 'free', signUpOpen: true, defaultModel: null };

beforeAll(async () => {
  h = await startIdentityHarness();
  admin = await registerPlatformAdmin(h);
  subscription = await subscribeEvent(h.bus, {
    event: identityEvents.settingsChanged,
    durable: 'settings-test',
    handler: async (envelope) => announced.push(envelope.data),
  });
}, 60_000);
afterAll(async () => {
  await subscription?.stop();
  await h?.close();
}, 30_000);

const send = (method: 'GET' | 'PUT' | 'POST', url: string, accessToken?: string, payload?: unknown) =>
  h.app.inject({
    method,
    url,
    headers: accessToken ? bearer(accessToken) : {},
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
const putSettings = (settings: unknown, accessToken: string | undefined = admin.accessToken) =>
  send('PUT', '/v1/admin/settings', accessToken, settings);
const register = (email = uniqueEmail('settings')) =>
  send('POST', '/v1/auth/register', undefined, { email, password: STRONG_PASSWORD });

describe('reading the settings', () => {
  it('answers the public ones to anyone, without a token', async () => {
    const response = await send('GET', '/v1/settings/public');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ siteName: 'Conduit', signUpOpen: true });
  });

  it('answers every setting to platform admins only: 403 to a user, 401 to anonymous callers', async () => {
    const answer = await send('GET', '/v1/admin/settings', admin.accessToken);
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toEqual(defaults);
    const user = await registerUser(h);
    const refused = await send('GET', '/v1/admin/settings', user.accessToken);
    expect(refused.statusCode).toBe(403);
    expect(refused.headers['content-type']).toMatch(/problem\+json/);
    expect((await send('GET', '/v1/admin/settings')).statusCode).toBe(401);
  });

  it('serves them to other services over rpc.identity.settings.get', async () => {
    expect(await requestRpc(h.bus, getGlobalSettings, {})).toEqual(defaults);
  });
});

describe('changing the settings', () => {
  it('records each change in the audit trail and the outbox (identity.settings.changed)', async () => {
    const next = {
      siteName: 'Acme Chat',
      defaultPlan: 'free',
      signUpOpen: true,
      defaultModel: 'gpt-4o-mini',
    };
    const response = await putSettings(next);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual(next);
    expect((await send('GET', '/v1/settings/public')).json()).toEqual({
      siteName: 'Acme Chat',
      signUpOpen: true,
    });
    expect(await requestRpc(h.bus, getGlobalSettings, {})).toEqual(next);

    const events = await h.admin<{ payload: { data: unknown; actor: { userId: string } } }[]>`
      select payload from identity.outbox where subject = 'identity.settings.changed' order by id`;
    expect(events).toHaveLength(1);
    expect(events[0]!.payload.data).toEqual({ changed: ['siteName', 'defaultModel'], settings: next });
    expect(events[0]!.payload.actor.userId).toBe(admin.user.id);
    const audit = await h.admin<{ user_id: string; metadata: unknown }[]>`
      select user_id, metadata from identity.user_account_activities where type = 'settings_changed' order by id`;
    expect(audit).toEqual([
      {
        user_id: admin.user.id,
        metadata: {
          changes: {
            siteName: { from: 'Conduit', to: 'Acme Chat' },
            defaultModel: { from: null, to: 'gpt-4o-mini' },
          },
        },
      },
    ]);

    // The relay publishes it, and a consumer gets it.
    await expect
      .poll(() => announced, { timeout: 15_000 })
      .toContainEqual({ changed: ['siteName', 'defaultModel'], settings: next });

    // The same settings again change nothing and record nothing.
    expect((await putSettings(next)).statusCode).toBe(200);
    const [count] =
      await h.admin`select count(*)::int as n from identity.outbox where subject = 'identity.settings.changed'`;
    expect(count!.n).toBe(1);

    expect((await putSettings(defaults)).json()).toEqual(defaults);
  });

  it('refuses a normal user (403) and anonymous callers (401), changing nothing', async () => {
    const user = await registerUser(h);
    const closed = { ...defaults, signUpOpen: false };
    expect((await putSettings(closed, user.accessToken)).statusCode).toBe(403);
    expect((await putSettings(closed, '')).statusCode).toBe(401);
    expect((await send('GET', '/v1/admin/settings', admin.accessToken)).json()).toEqual(defaults);
  });

  it('refuses bad input with 400 and a plan that does not exist with 422, never a 5xx', async () => {
    for (const payload of [
      {},
      { ...defaults, siteName: '' },
      { ...defaults, siteName: 'x'.repeat(101) },
      { ...defaults, signUpOpen: 'yes' },
      { ...defaults, defaultPlan: 5 },
      { ...defaults, defaultModel: '' },
      { ...defaults, extra: 1 },
      { siteName: 'Only a name' },
      { ...defaults, siteName: 'nul \u0000 byte' },
    ]) {
      const response = await putSettings(payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.headers['content-type']).toMatch(/problem\+json/);
    }
    const unknownPlan = await putSettings({ ...defaults, defaultPlan: 'platinum' });
    expect(unknownPlan.statusCode).toBe(422);
    expect((await send('GET', '/v1/admin/settings', admin.accessToken)).json()).toEqual(defaults);
  });
});

describe('what the settings change', () => {
  it('refuses sign-up with 403 while it is closed, except for an invite, and takes it again when open', async () => {
    expect((await putSettings({ ...defaults, signUpOpen: false })).statusCode).toBe(200);
    expect((await send('GET', '/v1/settings/public')).json()).toMatchObject({ signUpOpen: false });
    const email = uniqueEmail('closed');
    const refused = await register(email);
    expect(refused.statusCode).toBe(403);
    expect(refused.headers['content-type']).toMatch(/problem\+json/);
    const [users] = await h.admin`select count(*)::int as n from identity.users where email = ${email}`;
    expect(users!.n).toBe(0);

    // An invite still lets its addressee in.
    const invitee = uniqueEmail('invited');
    const invite = await send(
      'POST',
      `/v1/organizations/${admin.user.organizationId}/invites`,
      admin.accessToken,
      {
        email: invitee,
        role: 'member',
      },
    );
    expect(invite.statusCode).toBe(201);
    await expect.poll(() => h.mail.to(invitee).length, { timeout: 10_000 }).toBe(1);
    const inviteToken = tokenIn(h.mail.to(invitee)[0]!, 'Invite token:');
    const invited = await send('POST', '/v1/auth/register', undefined, {
      email: invitee,
      password: STRONG_PASSWORD,
      inviteToken,
    });
    expect(invited.statusCode).toBe(201);

    expect((await putSettings(defaults)).statusCode).toBe(200);
    expect((await register(email)).statusCode).toBe(201);
  });

  it('puts new users and new teams on the default plan', async () => {
    expect((await putSettings({ ...defaults, defaultPlan: 'pro' })).statusCode).toBe(200);
    const account = await registerUser(h);
    const subscription = await send('GET', '/v1/me/subscription', account.accessToken);
    expect(subscription.json()).toMatchObject({ plan: { id: 'pro' } });
    const team = await send('POST', '/v1/teams', account.accessToken, { name: 'Pro team' });
    expect(team.statusCode).toBe(201);
    const teamSubscription = await send(
      'GET',
      `/v1/teams/${team.json().id}/subscription`,
      account.accessToken,
    );
    expect(teamSubscription.json()).toMatchObject({ plan: { id: 'pro' } });

    expect((await putSettings(defaults)).statusCode).toBe(200);
    const later = await registerUser(h);
    expect((await send('GET', '/v1/me/subscription', later.accessToken)).json()).toMatchObject({
      plan: { id: 'free' },
    });
  });
});
