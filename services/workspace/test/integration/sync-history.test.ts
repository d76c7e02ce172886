import { randomUUID } from 'node:crypto';
import { streamNameFor } from '@conduit/bus';
import type { EventData, EventDefinition } from '@conduit/contracts';
import { identityEvents } from '@conduit/contracts';
import { startWorkerProcess } from '@conduit/runtime';
import { createLogger } from '@conduit/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceService } from '../../src/service.js';
import { startWorkspaceHarness, type WorkspaceHarness } from '../fixtures/workspace-harness.js';

type Change = { kind: string; id: string; deleted: boolean; data?: Record<string, unknown> };

let h: WorkspaceHarness;
let worker: { close(): Promise<void> };
beforeAll(async () => {
  // The worker runs the prune on its job scheduler every second, and identity's event consumers.
  h = await startWorkspaceHarness({ env: { SYNC_PRUNE_EVERY: '1s', SYNC_TOMBSTONE_RETENTION: '30d' } });
  worker = await startWorkerProcess(workspaceService, {
    env: h.env,
    log: createLogger({ service: 'workspace-worker-test', level: 'silent' }),
  });
});
afterAll(async () => {
  await worker?.close();
  // The worker made identity's stream on this test's namespace (the harness removes its own).
  await h?.bus.jsm.streams.delete(streamNameFor(h.bus.namespace, 'identity')).catch(() => {});
  await h?.close();
});

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Publishes an identity event as identity's outbox relay does (the real contract, on NATS). */
async function publishIdentityEvent<E extends EventDefinition>(
  event: E,
  data: EventData<E>,
  at = new Date(),
) {
  const envelope = event.envelope.parse({
    id: randomUUID(),
    subject: event.subject,
    version: event.version,
    occurredAt: at.toISOString(),
    actor: null,
    data,
  });
  await h.bus.js.publish(h.bus.subject(event.subject), JSON.stringify(envelope), { msgID: envelope.id });
}

/** A device's copy, kept only through GET /v1/sync (a `team` deletion drops the team's rows). */
class Device {
  readonly rows = new Map<string, Record<string, unknown>>();
  cursor: string | undefined;
  constructor(public headers: Record<string, string>) {}

  async sync() {
    for (;;) {
      const res = await this.fetch();
      expect(res.statusCode, res.body).toBe(200);
      const page = res.json() as { changes: Change[]; nextCursor: string; hasMore: boolean };
      for (const change of page.changes) {
        if (change.kind === 'team' && change.deleted) {
          for (const [key, row] of this.rows) if (row.teamId === change.id) this.rows.delete(key);
        } else if (change.deleted) this.rows.delete(`${change.kind}:${change.id}`);
        else this.rows.set(`${change.kind}:${change.id}`, change.data!);
      }
      this.cursor = page.nextCursor;
      if (!page.hasMore) return page.changes;
    }
  }

  fetch(cursor = this.cursor) {
    return h.app.inject({
      method: 'GET',
      url: `/v1/sync${cursor ? `?since=${cursor}` : ''}`,
      headers: this.headers,
    });
  }

  names() {
    return [...this.rows.values()].map((row) => row.name).sort();
  }
}

const createProject = async (headers: Record<string, string>, name: string, teamId?: string) =>
  (
    await h.app.inject({
      method: 'POST',
      url: '/v1/workspace/projects',
      headers,
      payload: { name, ...(teamId && { teamId }) },
    })
  ).json() as { id: string };

describe('tombstone retention', () => {
  it('prunes old tombstones on schedule and sends a client behind them to a full sync (410)', async () => {
    const user = await h.tokens.mint();
    const stale = new Device(user.headers);
    const current = new Device(user.headers);
    const old = await createProject(user.headers, 'old');
    const kept = await createProject(user.headers, 'kept');
    await stale.sync();
    expect(stale.names()).toEqual(['kept', 'old']);

    // Deleted 31 days ago (as far as the tombstone knows), and another deleted just now.
    await h.app.inject({ method: 'DELETE', url: `/v1/workspace/projects/${old.id}`, headers: user.headers });
    await h.admin`update workspace.tombstones set deleted_at = now() - interval '31 days' where entity_id = ${old.id}`;
    const recent = await createProject(user.headers, 'recent');
    await h.app.inject({
      method: 'DELETE',
      url: `/v1/workspace/projects/${recent.id}`,
      headers: user.headers,
    });
    await current.sync();
    expect(current.names()).toEqual(['kept']);

    // The worker's job scheduler prunes the old tombstone only.
    await until(
      async () =>
        (await h.admin`select 1 from workspace.tombstones where entity_id = ${old.id}`).length === 0,
      'the prune',
    );
    expect(
      await h.admin`select entity_id from workspace.tombstones where entity_id = ${recent.id}`,
    ).toHaveLength(1);

    // The device that never saw the deletion would keep "old" forever: it is told to start over.
    const refused = await stale.fetch();
    expect(refused.statusCode).toBe(410);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json()).toMatchObject({ status: 410, code: 'gone', resync: true });
    const fresh = new Device(user.headers);
    await fresh.sync();
    expect(fresh.names()).toEqual(['kept']);

    // A device that synced after the deletion goes on as before.
    await h.app.inject({
      method: 'PATCH',
      url: `/v1/workspace/projects/${kept.id}`,
      headers: user.headers,
      payload: { name: 'kept, renamed' },
    });
    await current.sync();
    expect(current.names()).toEqual(['kept, renamed']);
  });

  it("does not refuse a cursor for another scope's pruning", async () => {
    const user = await h.tokens.mint();
    const other = await h.tokens.mint();
    const device = new Device(user.headers);
    await createProject(user.headers, 'mine');
    await device.sync();
    const theirs = await createProject(other.headers, 'theirs');
    await h.app.inject({
      method: 'DELETE',
      url: `/v1/workspace/projects/${theirs.id}`,
      headers: other.headers,
    });
    await h.admin`update workspace.tombstones set deleted_at = now() - interval '40 days' where entity_id = ${theirs.id}`;
    await until(
      async () =>
        (await h.admin`select 1 from workspace.tombstones where entity_id = ${theirs.id}`).length === 0,
      'the prune',
    );
    expect((await device.fetch()).statusCode).toBe(200);
  });
});

describe('leaving a team', () => {
  it("tells the member who was removed to drop the team's rows, even while their token still names it", async () => {
    const teamId = randomUUID();
    const owner = await h.tokens.mint({ teams: { [teamId]: 'owner' } });
    const member = await h.tokens.mint({ teams: { [teamId]: 'member' } });
    const device = new Device(member.headers);
    const shared = await createProject(owner.headers, 'team plan', teamId);
    await createProject(member.headers, 'own notes');
    await device.sync();
    expect(device.names()).toEqual(['own notes', 'team plan']);

    await publishIdentityEvent(identityEvents.teamMemberRemoved, {
      teamId,
      organizationId: randomUUID(),
      userId: member.userId,
      reason: 'removed',
    });
    await until(
      async () =>
        (await h.admin`select 1 from workspace.team_departures where user_id = ${member.userId}`).length ===
        1,
      'the departure',
    );

    // The access token still carries the team (it lapses within its lifetime): the sync does not.
    const changes = await device.sync();
    expect(changes).toContainEqual(expect.objectContaining({ kind: 'team', id: teamId, deleted: true }));
    expect(device.names()).toEqual(['own notes']);
    await h.app.inject({
      method: 'PATCH',
      url: `/v1/workspace/projects/${shared.id}`,
      headers: owner.headers,
      payload: { name: 'team plan v2' },
    });
    expect(await device.sync()).toEqual([]);
    expect(device.names()).toEqual(['own notes']);

    // Added back later: the team's rows come again from its beginning.
    await publishIdentityEvent(identityEvents.teamMemberAdded, {
      teamId,
      organizationId: randomUUID(),
      userId: member.userId,
      role: 'member',
    });
    await until(
      async () =>
        (
          await h.admin`select 1 from workspace.team_departures
                        where user_id = ${member.userId} and rejoined_at is not null`
        ).length === 1,
      'the return',
    );
    await device.sync();
    expect(device.names()).toEqual(['own notes', 'team plan v2']);
  });

  it('says so once when the token no longer names a team the cursor had, with no event yet', async () => {
    const teamId = randomUUID();
    const userId = randomUUID();
    const inTeam = await h.tokens.mint({ userId, teams: { [teamId]: 'member' } });
    const device = new Device(inTeam.headers);
    await createProject(inTeam.headers, 'team doc', teamId);
    await device.sync();
    expect(device.names()).toEqual(['team doc']);

    device.headers = (await h.tokens.mint({ userId })).headers;
    expect(await device.sync()).toEqual([
      expect.objectContaining({ kind: 'team', id: teamId, deleted: true }),
    ]);
    expect(device.names()).toEqual([]);
    expect(await device.sync()).toEqual([]);
  });

  it('keeps a rejoin that was applied before the earlier removal', async () => {
    const teamId = randomUUID();
    const owner = await h.tokens.mint({ teams: { [teamId]: 'owner' } });
    const member = await h.tokens.mint({ teams: { [teamId]: 'member' } });
    await createProject(owner.headers, 'still shared', teamId);
    const removedAt = new Date(Date.now() - 60_000);
    await publishIdentityEvent(
      identityEvents.teamMemberAdded,
      { teamId, organizationId: randomUUID(), userId: member.userId, role: 'member' },
      new Date(),
    );
    await until(
      async () =>
        (await h.admin`select 1 from workspace.team_departures where user_id = ${member.userId}`).length ===
        1,
      'the return',
    );
    await publishIdentityEvent(
      identityEvents.teamMemberRemoved,
      { teamId, organizationId: randomUUID(), userId: member.userId, reason: 'left' },
      removedAt,
    );
    await until(
      async () =>
        (
          await h.admin`select 1 from workspace.team_departures
                        where user_id = ${member.userId} and left_at = ${removedAt}`
        ).length === 1,
      'the departure',
    );
    const device = new Device(member.headers);
    await device.sync();
    expect(device.names()).toEqual(['still shared']);
  });

  it('lets no user read or write another user’s departures', async () => {
    const a = randomUUID();
    await publishIdentityEvent(identityEvents.teamMemberRemoved, {
      teamId: randomUUID(),
      organizationId: randomUUID(),
      userId: a,
      reason: 'left',
    });
    await until(
      async () => (await h.admin`select 1 from workspace.team_departures where user_id = ${a}`).length === 1,
      'the departure',
    );
    const stranger = await h.tokens.mint();
    const res = await new Device(stranger.headers).fetch();
    expect(res.json().changes).toEqual([]);
  });
});
