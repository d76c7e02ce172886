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
// and a deleted file gives its megabytes back.

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
