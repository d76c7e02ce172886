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
import { afterAll, beforeAll, expect, it } from 'vitest';

// Files on identity's real usage counters: an upload reserves its size of the plan's storage_mb
// (mebibytes, rounded up) before it is stored, a refusal is a 402 that stores and counts nothing,
// and a deleted file gives its megabytes back. Storage is counted on every plan, also one that does
// not limit it, so a later plan that does is judged against what is stored.

let identity: IdentityHarness;
let workspace: WorkspaceHarness;
let user: Awaited<ReturnType<typeof registerUser>>;
let headers: Record<string, string>;

beforeAll(async () => {
  identity = await startIdentityHarness();
  const identityUrl = await identity.app.listen({ port: 0, host: '127.0.0.1' });
  workspace = await startWorkspaceHarness({
    namespace: identity.namespace,
    usage: false,
    identityJwks: true,
    env: { IDENTITY_URL: identityUrl },
  });
  user = await registerUser(identity);
  headers = { authorization: `Bearer ${user.accessToken}` };
}, 60_000);
afterAll(async () => {
  await workspace?.close();
  await identity?.close();
});

async function storageUsed() {
  const rows = await identity.admin<{ used: string; limit: number }[]>`
    select c.used, (p.limits ->> 'storage_mb')::int as limit from identity.usage_counters c
    join identity.user_subscriptions s on s.id = c.subscription_id
    join identity.plans p on p.id = s.plan_id
    where s.subject_type = 'user' and s.subject_id = ${user.user.id} and c.metric = 'storage_mb'`;
  return { used: Number(rows[0]?.used ?? 0), limit: rows[0]?.limit };
}

const upload = (bytes: Buffer) => {
  const body = multipart({ name: 'data.bin', contentType: 'application/octet-stream', bytes });
  return workspace.app.inject({
    method: 'POST',
    url: '/v1/media',
    headers: { ...headers, ...body.headers },
    payload: body.payload,
  });
};

it("counts uploads against the plan's storage_mb, refuses past it with 402, and gives back on delete", async () => {
  const first = await upload(randomBytes(1024 * 1024 + 10)); // 2 MiB counted
  expect(first.statusCode, first.body).toBe(201);
  const afterFirst = await storageUsed();
  expect(afterFirst.used).toBe(2);
  expect(afterFirst.limit).toBeGreaterThan(2);

  // Nearly full: what is left is less than the next file.
  await identity.admin`
    update identity.usage_counters c set used = ${afterFirst.limit! - 1}
    from identity.user_subscriptions s
    where s.id = c.subscription_id and s.subject_type = 'user' and s.subject_id = ${user.user.id}
      and c.metric = 'storage_mb'`;
  const [{ count: filesBefore }] =
    (await workspace.admin`select count(*)::int as count from workspace.media`) as unknown as [
      { count: number },
    ];
  const refused = await upload(randomBytes(1024 * 1024 + 10));
  expect(refused.statusCode).toBe(402);
  expect(refused.json()).toMatchObject({ code: 'limit_reached', metric: 'storage_mb', remaining: 1 });
  expect((await storageUsed()).used).toBe(afterFirst.limit! - 1);
  const [{ count: filesAfter }] =
    (await workspace.admin`select count(*)::int as count from workspace.media`) as unknown as [
      { count: number },
    ];
  expect(filesAfter).toBe(filesBefore);

  // A small file still fits; deleting the first gives its 2 MB back.
  const small = await upload(Buffer.from('tiny'));
  expect(small.statusCode, small.body).toBe(201);
  expect((await storageUsed()).used).toBe(afterFirst.limit!);
  const deleted = await workspace.app.inject({
    method: 'DELETE',
    url: `/v1/media/${first.json().id}`,
    headers,
  });
  expect(deleted.statusCode).toBe(204);
  expect((await storageUsed()).used).toBe(afterFirst.limit! - 2);
});

it('is a quota on what is kept: a new period frees nothing, deleting a file frees its space in any period', async () => {
  const owner = await registerUser(identity);
  const auth = { authorization: `Bearer ${owner.accessToken}` };
  // A plan that keeps 3 MB, so that "full" is a few uploads away.
  await identity.admin`insert into identity.plans (id, name, limits)
    values ('e2e-tiny-storage', 'Tiny storage', '{"executions": 10, "messages": 10, "ai_credits": 10, "storage_mb": 3}')
    on conflict (id) do nothing`;
  const [subscription] = await identity.admin<{ id: string }[]>`
    update identity.user_subscriptions set plan_id = 'e2e-tiny-storage'
    where subject_type = 'user' and subject_id = ${owner.user.id} returning id`;
  await identity.admin`select identity.apply_plan_limits(${subscription!.id})`;
  const put = (bytes: Buffer) => {
    const body = multipart({ name: 'kept.bin', contentType: 'application/octet-stream', bytes });
    return workspace.app.inject({
      method: 'POST',
      url: '/v1/media',
      headers: { ...auth, ...body.headers },
      payload: body.payload,
    });
  };
  const used = async () => {
    const [row] = await identity.admin<{ used: string }[]>`
      select used from identity.usage_counters where subscription_id = ${subscription!.id} and metric = 'storage_mb'`;
    return Number(row!.used);
  };

  // Up to the limit: 2 MB kept, and the next 2 MB do not fit.
  const kept = await put(randomBytes(2 * 1024 * 1024 - 4096));
  expect(kept.statusCode, kept.body).toBe(201);
  expect(await used()).toBe(2);
  const full = await put(randomBytes(1024 * 1024 + 10));
  expect(full.statusCode).toBe(402);
  expect(full.json()).toMatchObject({ code: 'limit_reached', metric: 'storage_mb', remaining: 1 });

  // A month later the period rolls (at the next reservation): the file is still kept, so still full.
  await identity.admin`update identity.user_subscriptions
    set period_start = now() - interval '1 month 1 day', period_end = now() - interval '1 day'
    where id = ${subscription!.id}`;
  const nextMonth = await put(randomBytes(1024 * 1024 + 10));
  expect(nextMonth.statusCode).toBe(402);
  const [period] = await identity.admin<{ period_end: Date }[]>`
    select period_end from identity.user_subscriptions where id = ${subscription!.id}`;
  expect(period!.period_end.getTime()).toBeGreaterThan(Date.now());
  expect(await used()).toBe(2);

  // Deleting the file uploaded last period gives its space back, and the upload now fits.
  const deleted = await workspace.app.inject({
    method: 'DELETE',
    url: `/v1/media/${kept.json().id}`,
    headers: auth,
  });
  expect(deleted.statusCode).toBe(204);
  expect(await used()).toBe(0);
  const again = await put(randomBytes(1024 * 1024 + 10));
  expect(again.statusCode, again.body).toBe(201);
  expect(await used()).toBe(2);
});

it('counts what is stored while the plan does not limit storage, so a move to a plan that does is judged against it', async () => {
  const owner = await registerUser(identity);
  const auth = { authorization: `Bearer ${owner.accessToken}` };
  await identity.admin`insert into identity.plans (id, name, limits) values
    ('e2e-storage-unlimited', 'Storage not limited', '{"executions": 10, "messages": 10, "ai_credits": 10}'),
    ('e2e-tiny-storage', 'Tiny storage', '{"executions": 10, "messages": 10, "ai_credits": 10, "storage_mb": 3}')
    on conflict (id) do nothing`;
  const [subscription] = await identity.admin<{ id: string }[]>`
    select id from identity.user_subscriptions where subject_type = 'user' and subject_id = ${owner.user.id}`;
  const moveTo = async (planId: string) => {
    await identity.admin`update identity.user_subscriptions set plan_id = ${planId} where id = ${subscription!.id}`;
    await identity.admin`select identity.apply_plan_limits(${subscription!.id})`;
  };
  const counter = async () => {
    const [row] = await identity.admin<{ used: string; limit: string | null }[]>`
      select used, "limit" from identity.usage_counters
      where subscription_id = ${subscription!.id} and metric = 'storage_mb'`;
    return { used: Number(row!.used), limit: row!.limit === null ? null : Number(row!.limit) };
  };
  const put = (bytes: Buffer) => {
    const body = multipart({ name: 'kept.bin', contentType: 'application/octet-stream', bytes });
    return workspace.app.inject({
      method: 'POST',
      url: '/v1/media',
      headers: { ...auth, ...body.headers },
      payload: body.payload,
    });
  };

  // On a plan without a storage limit the upload goes through, and is counted.
  await moveTo('e2e-storage-unlimited');
  expect(await counter()).toEqual({ used: 0, limit: null });
  const kept = await put(randomBytes(3 * 1024 * 1024));
  expect(kept.statusCode, kept.body).toBe(201);
  expect(await counter()).toEqual({ used: 3, limit: null });

  // On a plan that keeps 3 MB, those 3 MB are what is stored: nothing more fits.
  await moveTo('e2e-tiny-storage');
  expect(await counter()).toEqual({ used: 3, limit: 3 });
  const full = await put(Buffer.from('one more'));
  expect(full.statusCode).toBe(402);
  expect(full.json()).toMatchObject({ code: 'limit_reached', metric: 'storage_mb', remaining: 0, limit: 3 });

  // Deleting the file uploaded on the unlimited plan frees its space.
  const deleted = await workspace.app.inject({
    method: 'DELETE',
    url: `/v1/media/${kept.json().id}`,
    headers: auth,
  });
  expect(deleted.statusCode).toBe(204);
  expect(await counter()).toEqual({ used: 0, limit: 3 });
  const again = await put(Buffer.from('one more'));
  expect(again.statusCode, again.body).toBe(201);
  expect(await counter()).toEqual({ used: 1, limit: 3 });
});
