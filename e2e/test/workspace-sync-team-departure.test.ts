import {
  type IdentityHarness,
  loginUser,
  registerUser,
  startIdentityHarness,
} from '@conduit/identity/test/fixtures/identity-harness.js';
import {
  startWorkspaceHarness,
  type WorkspaceHarness,
} from '@conduit/workspace/test/fixtures/workspace-harness.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ServiceProcess, startServiceProcess } from '../src/service-process.js';

// A member removed from a team through identity's API: identity's outbox relay publishes
// identity.team.member_removed on NATS, the workspace worker records the departure, and the
// member's next GET /v1/sync says to drop the team's rows, though their access token still names
// the team until it lapses.

let identity: IdentityHarness;
let workspace: WorkspaceHarness;
let worker: ServiceProcess;

beforeAll(async () => {
  identity = await startIdentityHarness();
  const identityUrl = await identity.app.listen({ port: 0, host: '127.0.0.1' });
  workspace = await startWorkspaceHarness({
    namespace: identity.namespace,
    usage: false,
    identityJwks: true,
    env: { IDENTITY_URL: identityUrl },
  });
  // The workspace worker as its own process, as pnpm start runs it: it consumes identity's events.
  worker = startServiceProcess('@conduit/workspace', 'worker', {
    ...workspace.childEnv,
    IDENTITY_URL: identityUrl,
    LOG_LEVEL: 'info',
  });
  await worker.waitForOutput('worker running');
}, 90_000);
afterAll(async () => {
  if (worker) {
    worker.kill('SIGTERM');
    await worker.exited;
  }
  await workspace?.close();
  await identity?.close();
});

type Change = { kind: string; id: string; deleted: boolean; data?: Record<string, unknown> };

it("tells a removed member's next sync to drop the team's rows", async () => {
  const owner = await registerUser(identity);
  const team = await identity.app.inject({
    method: 'POST',
    url: '/v1/teams',
    headers: { authorization: `Bearer ${owner.accessToken}` },
    payload: { name: 'Travel desk' },
  });
  expect(team.statusCode, team.body).toBe(201);
  const teamId = team.json().id as string;
  const member = await registerUser(identity);
  // In the team as identity keeps it (the invite flow is identity's own test).
  await identity.admin`insert into identity.team_members (team_id, user_id, role)
    values (${teamId}, ${member.user.id}, 'member')`;
  const ownerToken = (await loginUser(identity, owner)).accessToken;
  const memberToken = (await loginUser(identity, member)).accessToken;
  const memberHeaders = { authorization: `Bearer ${memberToken}` };

  const project = await workspace.app.inject({
    method: 'POST',
    url: '/v1/workspace/projects',
    headers: { authorization: `Bearer ${ownerToken}` },
    payload: { name: 'Lisbon offsite', teamId },
  });
  expect(project.statusCode, project.body).toBe(201);
  const sync = async (since?: string) => {
    const res = await workspace.app.inject({
      method: 'GET',
      url: `/v1/sync${since ? `?since=${since}` : ''}`,
      headers: memberHeaders,
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { changes: Change[]; nextCursor: string };
  };
  const first = await sync();
  expect(first.changes).toContainEqual(
    expect.objectContaining({ kind: 'project', id: project.json().id, deleted: false }),
  );

  const removed = await identity.app.inject({
    method: 'DELETE',
    url: `/v1/teams/${teamId}/members/${member.user.id}`,
    headers: { authorization: `Bearer ${ownerToken}` },
  });
  expect(removed.statusCode, removed.body).toBe(204);

  // The same, still unexpired token: the departure arrives through the bus within moments.
  let cursor = first.nextCursor;
  let told: Change | undefined;
  const deadline = Date.now() + 30_000;
  while (!told && Date.now() < deadline) {
    const page = await sync(cursor);
    cursor = page.nextCursor;
    told = page.changes.find((change) => change.kind === 'team' && change.id === teamId);
    if (!told) await new Promise((resolve) => setTimeout(resolve, 250));
  }
  expect(told).toMatchObject({ kind: 'team', id: teamId, deleted: true });

  // Later changes of the team are no longer sent to them.
  await workspace.app.inject({
    method: 'PATCH',
    url: `/v1/workspace/projects/${project.json().id}`,
    headers: { authorization: `Bearer ${ownerToken}` },
    payload: { name: 'Porto offsite' },
  });
  expect((await sync(cursor)).changes).toEqual([]);
});
