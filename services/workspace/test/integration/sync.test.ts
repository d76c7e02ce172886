import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multipart, startWorkspaceHarness, type WorkspaceHarness } from '../fixtures/workspace-harness.js';

type Change = { kind: string; id: string; deleted: boolean; data?: Record<string, unknown> };

/**
 * One device's copy of a workspace, kept in step only through GET /v1/sync: it applies each
 * change in order (a row replaces its copy, a tombstone removes it) and keeps the cursor.
 */
class Device {
  readonly rows = new Map<string, Record<string, unknown>>();
  cursor: string | undefined;
  pages = 0;

  constructor(
    private readonly h: WorkspaceHarness,
    readonly headers: Record<string, string>,
  ) {}

  async sync(limit = 100) {
    for (;;) {
      const query = new URLSearchParams({ limit: String(limit), ...(this.cursor && { since: this.cursor }) });
      const res = await this.h.app.inject({ method: 'GET', url: `/v1/sync?${query}`, headers: this.headers });
      expect(res.statusCode, res.body).toBe(200);
      const page = res.json() as { changes: Change[]; nextCursor: string; hasMore: boolean };
      this.pages += 1;
      for (const change of page.changes) {
        const key = `${change.kind}:${change.id}`;
        if (change.deleted) this.rows.delete(key);
        else this.rows.set(key, change.data!);
      }
      this.cursor = page.nextCursor;
      if (!page.hasMore) return;
    }
  }

  call(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: Record<string, unknown>) {
    const { headers } = this;
    return this.h.app.inject(
      payload === undefined ? { method, url, headers } : { method, url, headers, payload },
    );
  }

  of(kind: string) {
    return [...this.rows.entries()]
      .filter(([key]) => key.startsWith(`${kind}:`))
      .map(([, row]) => row)
      .sort((a, b) => String(a.id).localeCompare(String(b.id)));
  }
}

let h: WorkspaceHarness;
beforeAll(async () => {
  h = await startWorkspaceHarness();
});
afterAll(() => h?.close());

const sealed = () => ({
  keyId: 'k1',
  nonce: Buffer.alloc(12, 1).toString('base64'),
  ciphertext: Buffer.alloc(48, 2).toString('base64'),
  titleNonce: Buffer.alloc(12, 3).toString('base64'),
  titleCiphertext: Buffer.alloc(24, 4).toString('base64'),
});

describe('delta sync', () => {
  it('keeps two devices in step while they edit and delete in turn', async () => {
    const user = await h.tokens.mint();
    const laptop = new Device(h, user.headers);
    const phone = new Device(h, user.headers);

    // The laptop makes things; the phone starts from nothing and catches up.
    const project = (await laptop.call('POST', '/v1/workspace/projects', { name: 'Trip' })).json();
    const chat = (await laptop.call('POST', '/v1/workspace/chats', sealed())).json();
    await laptop.call('PUT', '/v1/workspace/theme', { mode: 'dark' });
    const link = (
      await laptop.call('POST', `/v1/workspace/projects/${project.id}/chats`, { encryptedChatId: chat.id })
    ).json();
    const upload = multipart({
      name: 'notes.txt',
      contentType: 'text/plain',
      bytes: Buffer.from('pack light'),
    });
    const file = (
      await h.app.inject({
        method: 'POST',
        url: '/v1/media',
        headers: { ...user.headers, ...upload.headers },
        payload: upload.payload,
      })
    ).json();
    const fileLink = (
      await laptop.call('POST', `/v1/workspace/projects/${project.id}/files`, { mediaId: file.id })
    ).json();
    await laptop.sync();
    await phone.sync();
    expect(phone.rows).toEqual(laptop.rows);
    expect(phone.of('project')).toEqual([expect.objectContaining({ id: project.id, name: 'Trip' })]);
    expect(phone.of('theme')).toEqual([expect.objectContaining({ mode: 'dark' })]);
    expect(phone.of('project_chat')).toEqual([
      expect.objectContaining({ id: link.id, encryptedChatId: chat.id }),
    ]);
    expect(phone.of('project_file')).toEqual([
      expect.objectContaining({ id: fileLink.id, mediaId: file.id }),
    ]);

    // The phone renames the project and deletes the chat (its project link goes with it).
    await phone.call('PATCH', `/v1/workspace/projects/${project.id}`, { name: 'Trip to Lisbon' });
    expect((await phone.call('DELETE', `/v1/workspace/chats/${chat.id}`)).statusCode).toBe(204);
    await laptop.sync();
    expect(laptop.of('project')[0]!.name).toBe('Trip to Lisbon');
    expect(laptop.of('encrypted_chat')).toEqual([]);
    expect(laptop.of('project_chat')).toEqual([]);

    // The laptop deletes the file (and so its project link) and changes the theme; the phone follows.
    expect((await laptop.call('DELETE', `/v1/media/${file.id}`)).statusCode).toBe(204);
    await laptop.call('PUT', '/v1/workspace/theme', { mode: 'light', accentColor: '#3366ff' });
    await phone.sync();
    await laptop.sync();
    expect(phone.of('media')).toEqual([]);
    expect(phone.of('project_file')).toEqual([]);
    expect(phone.of('theme')).toEqual([expect.objectContaining({ mode: 'light', accentColor: '#3366ff' })]);
    expect(phone.rows).toEqual(laptop.rows);

    // What both hold is what the server holds.
    const projects = (await laptop.call('GET', '/v1/workspace/projects')).json().items;
    expect(phone.of('project')).toEqual(projects);

    // Nothing new: a sync from the cursor answers nothing.
    const quiet = await phone.call('GET', `/v1/sync?since=${phone.cursor}`);
    expect(quiet.json()).toMatchObject({ changes: [], hasMore: false, nextCursor: phone.cursor });
  });

  it('pages through many changes without losing or repeating one', async () => {
    const user = await h.tokens.mint();
    const device = new Device(h, user.headers);
    const names = Array.from({ length: 23 }, (_, i) => `project ${i}`);
    for (const name of names) await device.call('POST', '/v1/workspace/projects', { name });
    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const res = await device.call('GET', `/v1/sync?limit=5${cursor ? `&since=${cursor}` : ''}`);
      const page = res.json();
      seen.push(...page.changes.map((c: Change) => c.data!.name as string));
      cursor = page.nextCursor;
      if (!page.hasMore) break;
    }
    expect(seen).toEqual(names);
  });

  it('does not skip a change whose transaction commits after a later one', async () => {
    const teamId = randomUUID();
    const user = await h.tokens.mint({ teams: { [teamId]: 'member' } });
    const device = new Device(h, user.headers);
    const teamProject = (
      await device.call('POST', '/v1/workspace/projects', { name: 'team', teamId })
    ).json();
    const otherTeamProject = (
      await device.call('POST', '/v1/workspace/projects', { name: 'team 2', teamId })
    ).json();
    const own = (await device.call('POST', '/v1/workspace/projects', { name: 'own' })).json();
    await device.sync();

    // A slow writer of the team's scope takes its sequence number first and commits last.
    const slow = await h.admin.reserve();
    let sameScope: Promise<unknown> | undefined;
    try {
      await slow`begin`;
      await slow`update workspace.projects set name = 'team, renamed slowly' where id = ${teamProject.id}`;
      // Another scope goes on meanwhile, and is synced at once.
      await device.call('PATCH', `/v1/workspace/projects/${own.id}`, { name: 'own, renamed quickly' });
      // The same scope waits for the slow writer rather than overtake it.
      let sameScopeDone = false;
      sameScope = device
        .call('PATCH', `/v1/workspace/projects/${otherTeamProject.id}`, { name: 'team 2, renamed after' })
        .then(() => {
          sameScopeDone = true;
        });
      await device.sync();
      const names = () => device.of('project').map((p) => p.name);
      expect(names()).toEqual(['team', 'team 2', 'own, renamed quickly']);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(sameScopeDone).toBe(false);
      await slow`commit`;
    } finally {
      slow.release();
    }
    await sameScope;
    await device.sync();
    expect(device.of('project').map((p) => p.name)).toEqual([
      'team, renamed slowly',
      'team 2, renamed after',
      'own, renamed quickly',
    ]);
  });

  it('reads every table of a sync in one snapshot: a change committed during the read comes next time', async () => {
    const user = await h.tokens.mint();
    const device = new Device(h, user.headers);
    const kept = (await device.call('POST', '/v1/workspace/projects', { name: 'kept' })).json();
    const doomed = (await device.call('POST', '/v1/workspace/projects', { name: 'doomed' })).json();
    await device.sync();

    // The sync reads the projects, then waits on the tombstones (read last) while a rename commits
    // and, after it, a deletion: the deletion's tombstone is stamped after the rename.
    const locker = await h.admin.reserve();
    let reading: Promise<void> | undefined;
    try {
      await locker`begin`;
      await locker`lock table workspace.tombstones in access exclusive mode`;
      reading = device.sync();
      const deadline = Date.now() + 10_000;
      for (;;) {
        const [waiting] = await h.admin<{ n: number }[]>`
          select count(*)::int as n from pg_locks
          where not granted and relation = 'workspace.tombstones'::regclass`;
        if (waiting!.n > 0) break;
        if (Date.now() > deadline) throw new Error('the sync never reached the tombstones');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await h.admin`update workspace.projects set name = 'kept, renamed' where id = ${kept.id}`;
      await locker`delete from workspace.projects where id = ${doomed.id}`;
      await locker`commit`;
    } finally {
      locker.release();
    }
    await reading;
    await device.sync();
    // Read at one moment, the first sync saw neither; a cursor past the tombstone would have
    // skipped the rename for good.
    expect(device.of('project').map((p) => p.name)).toEqual(['kept, renamed']);
  });

  it("shows a team's projects to its members and nothing of anyone's to a stranger", async () => {
    const teamId = randomUUID();
    const owner = await h.tokens.mint({ teams: { [teamId]: 'owner' } });
    const viewer = await h.tokens.mint({ teams: { [teamId]: 'viewer' } });
    const stranger = await h.tokens.mint();
    const shared = (
      await h.app.inject({
        method: 'POST',
        url: '/v1/workspace/projects',
        headers: owner.headers,
        payload: { name: 'Team plan', teamId },
      })
    ).json();
    const ownOnly = (
      await h.app.inject({
        method: 'POST',
        url: '/v1/workspace/projects',
        headers: owner.headers,
        payload: { name: 'Mine' },
      })
    ).json();
    const viewerDevice = new Device(h, viewer.headers);
    await viewerDevice.sync();
    expect(viewerDevice.of('project').map((p) => p.id)).toEqual([shared.id]);
    const strangerDevice = new Device(h, stranger.headers);
    await strangerDevice.sync();
    expect(strangerDevice.rows.size).toBe(0);

    // The owner deletes the team's project: the viewer gets the tombstone, the stranger nothing.
    await h.app.inject({
      method: 'DELETE',
      url: `/v1/workspace/projects/${shared.id}`,
      headers: owner.headers,
    });
    await viewerDevice.sync();
    expect(viewerDevice.of('project')).toEqual([]);
    await strangerDevice.sync();
    expect(strangerDevice.rows.size).toBe(0);
    expect(ownOnly.id).toBeDefined();
  });

  it('refuses a cursor it did not give', async () => {
    const user = await h.tokens.mint();
    for (const since of [
      'nonsense',
      Buffer.from('{"x":"1"}').toString('base64url'),
      Buffer.from('{"x":"-1","s":"2"}').toString('base64url'),
    ]) {
      const res = await h.app.inject({
        method: 'GET',
        url: `/v1/sync?since=${since}`,
        headers: user.headers,
      });
      expect(res.statusCode).toBe(400);
    }
  });
});
