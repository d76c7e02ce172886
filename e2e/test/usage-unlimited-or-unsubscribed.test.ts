import { randomBytes } from 'node:crypto';
import {
  type IdentityHarness,
  registerUser,
  startIdentityHarness,
} from '@conduit/identity/test/fixtures/identity-harness.js';
import {
  multipart,
  startWorkspaceHarness,
  type WorkspaceHarness,
} from '@conduit/workspace/test/fixtures/workspace-harness.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The two answers identity's usage reservation tells apart, through the real identity and a
// service's shared usage client (@conduit/bus reserveUsageOf), here the workspace's uploads: a
// plan that names no limit for a metric does not limit it (the work goes through; storage, a
// gauge, is still counted, so a later plan that limits it knows what is stored), while a payer
// identity has no subscription of is refused as "not included" (402).

let identity: IdentityHarness;
let workspace: WorkspaceHarness;

beforeAll(async () => {
  identity = await startIdentityHarness();
  const identityUrl = await identity.app.listen({ port: 0, host: '127.0.0.1' });
  workspace = await startWorkspaceHarness({
    namespace: identity.namespace,
    usage: false,
    identityJwks: true,
    env: { IDENTITY_URL: identityUrl },
  });
  await identity.admin`insert into identity.plans (id, name, limits)
    values ('e2e-storage-not-limited', 'Storage not limited', '{"executions": 10, "messages": 10, "ai_credits": 10}')
    on conflict (id) do nothing`;
}, 60_000);
afterAll(async () => {
  await workspace?.close();
  await identity?.close();
});

const upload = (accessToken: string, bytes: Buffer) => {
  const body = multipart({ name: 'data.bin', contentType: 'application/octet-stream', bytes });
  return workspace.app.inject({
    method: 'POST',
    url: '/v1/media',
    headers: { authorization: `Bearer ${accessToken}`, ...body.headers },
    payload: body.payload,
  });
};

/** The user's storage_mb counter, or undefined when there is none. */
const storageCounter = async (userId: string) => {
  const [row] = await identity.admin<{ used: string; limit: string | null }[]>`
    select c.used, c."limit" from identity.usage_counters c
    join identity.user_subscriptions s on s.id = c.subscription_id
    where s.subject_type = 'user' and s.subject_id = ${userId} and c.metric = 'storage_mb'`;
  return row && { used: Number(row.used), limit: row.limit === null ? null : Number(row.limit) };
};

describe("uploads on identity's usage", () => {
  it('go through on a plan that does not limit storage_mb, counted all the same, and give back on delete', async () => {
    const user = await registerUser(identity);
    // Subscribed from the start on a plan that names no storage limit.
    await identity.admin`delete from identity.user_subscriptions
      where subject_type = 'user' and subject_id = ${user.user.id}`;
    await identity.admin`select identity.ensure_subscription(
      gen_random_uuid(), 'user', ${user.user.id}, 'e2e-storage-not-limited')`;
    expect(await storageCounter(user.user.id)).toEqual({ used: 0, limit: null });

    const stored = await upload(user.accessToken, randomBytes(3 * 1024 * 1024));
    expect(stored.statusCode, stored.body).toBe(201);
    expect(await storageCounter(user.user.id)).toEqual({ used: 3, limit: null });
    const [row] = await workspace.admin<{ usage_period_end: Date | null }[]>`
      select usage_period_end from workspace.media where id = ${stored.json().id}`;
    // Reserved, so given back when it goes.
    expect(row!.usage_period_end).not.toBeNull();
    const deleted = await workspace.app.inject({
      method: 'DELETE',
      url: `/v1/media/${stored.json().id}`,
      headers: { authorization: `Bearer ${user.accessToken}` },
    });
    expect(deleted.statusCode).toBe(204);
    expect(await storageCounter(user.user.id)).toEqual({ used: 0, limit: null });
  });

  it('are refused with 402 "not included" for a payer identity has no subscription of, and keep nothing', async () => {
    const user = await registerUser(identity);
    await identity.admin`delete from identity.user_subscriptions
      where subject_type = 'user' and subject_id = ${user.user.id}`;
    const [before] = await workspace.admin<{ n: number }[]>`
      select count(*)::int as n from workspace.media where owner_user_id = ${user.user.id}`;

    const refused = await upload(user.accessToken, randomBytes(1024));
    expect(refused.statusCode).toBe(402);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json()).toMatchObject({
      code: 'limit_reached',
      detail: 'This plan does not include file storage.',
      metric: 'storage_mb',
      remaining: 0,
      limit: 0,
    });
    const [after] = await workspace.admin<{ n: number }[]>`
      select count(*)::int as n from workspace.media where owner_user_id = ${user.user.id}`;
    expect(after!.n).toBe(before!.n);
  });
});
