import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { RpcError, requestRpc } from '@conduit/bus';
import { workspaceRpc } from '@conduit/contracts';
import { countRows } from '@conduit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  multipart,
  type StorageDriver,
  startWorkspaceHarness,
  type WorkspaceHarness,
} from '../fixtures/workspace-harness.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
/** A real 1x1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

describe.each(['local', 's3'] as StorageDriver[])('files on the %s driver', (driver) => {
  let h: WorkspaceHarness;
  let owner: Awaited<ReturnType<WorkspaceHarness['tokens']['mint']>>;

  beforeAll(async () => {
    h = await startWorkspaceHarness({ storage: driver });
    owner = await h.tokens.mint();
  });
  afterAll(async () => {
    await h?.close();
  });

  async function upload(
    name: string,
    contentType: string,
    bytes: Buffer,
    fields: Record<string, string> = {},
  ) {
    const body = multipart({ name, contentType, bytes }, fields);
    return h.app.inject({
      method: 'POST',
      url: '/v1/media',
      headers: { ...owner.headers, ...body.headers },
      payload: body.payload,
    });
  }
  const content = (id: string, headers: Record<string, string> = {}) =>
    h.app.inject({
      method: 'GET',
      url: `/v1/media/${id}/content`,
      headers: { ...owner.headers, ...headers },
    });

  it('uploads a PNG: its type from its bytes, its hash, and it downloads whole and by ranges', async () => {
    const res = await upload('logo.png', 'image/png', PNG);
    expect(res.statusCode, res.body).toBe(201);
    const file = res.json();
    expect(file).toMatchObject({
      name: 'logo.png',
      contentType: 'image/png',
      sizeBytes: PNG.length,
      sha256: sha256(PNG),
    });

    const whole = await content(file.id);
    expect(whole.statusCode).toBe(200);
    expect(whole.rawPayload.equals(PNG)).toBe(true);
    expect(whole.headers).toMatchObject({
      'content-type': 'image/png',
      etag: `"${sha256(PNG)}"`,
      'accept-ranges': 'bytes',
      'x-content-type-options': 'nosniff',
      'content-length': String(PNG.length),
    });
    expect(whole.headers['content-disposition']).toBe(
      `inline; filename="logo.png"; filename*=UTF-8''logo.png`,
    );

    const range = await content(file.id, { range: 'bytes=1-3' });
    expect(range.statusCode).toBe(206);
    expect(range.headers['content-range']).toBe(`bytes 1-3/${PNG.length}`);
    expect(range.rawPayload.toString('latin1')).toBe('PNG');

    const suffix = await content(file.id, { range: 'bytes=-4' });
    expect(suffix.statusCode).toBe(206);
    expect(suffix.rawPayload.equals(PNG.subarray(PNG.length - 4))).toBe(true);

    const past = await content(file.id, { range: `bytes=${PNG.length}-` });
    expect(past.statusCode).toBe(416);
    expect(past.headers['content-range']).toBe(`bytes */${PNG.length}`);
    expect(past.headers['content-type']).toMatch(/^application\/problem\+json/);

    const cached = await content(file.id, { 'if-none-match': `"${sha256(PNG)}"` });
    expect(cached.statusCode).toBe(304);
    // A range of a copy that is not this one is answered with the whole file.
    const stale = await content(file.id, { range: 'bytes=0-1', 'if-range': '"something-else"' });
    expect(stale.statusCode).toBe(200);
  });

  it('streams a larger file and serves a range from its middle', async () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 5);
    const res = await upload('data.bin', 'application/octet-stream', bytes);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ sizeBytes: bytes.length, sha256: sha256(bytes) });
    const start = 1_500_000;
    const range = await content(res.json().id, { range: `bytes=${start}-${start + 99_999}` });
    expect(range.statusCode).toBe(206);
    expect(range.rawPayload.equals(bytes.subarray(start, start + 100_000))).toBe(true);
  });

  it("reserves the upload's size of storage_mb first and gives back what the file did not use", async () => {
    h.usage!.calls.length = 0;
    h.usage!.releases.length = 0;
    const bytes = randomBytes(1024 * 1024 + 1); // 2 MiB counted, the body a little more
    const res = await upload('two.bin', 'application/octet-stream', bytes);
    expect(res.statusCode, res.body).toBe(201);
    expect(h.usage!.calls).toEqual([
      { subject: { type: 'user', id: owner.userId }, items: [{ metric: 'storage_mb', amount: 2 }] },
    ]);
    expect(h.usage!.releases).toEqual([]);
    // Deleting it gives its 2 MB back.
    const deleted = await h.app.inject({
      method: 'DELETE',
      url: `/v1/media/${res.json().id}`,
      headers: owner.headers,
    });
    expect(deleted.statusCode).toBe(204);
    expect(h.usage!.releases).toEqual([
      { subject: { type: 'user', id: owner.userId }, items: [{ metric: 'storage_mb', amount: 2 }] },
    ]);
  });

  it("charges a team's file to the team, and lets only the team's members (not viewers) add one", async () => {
    const teamId = randomUUID();
    const member = await h.tokens.mint({ teams: { [teamId]: 'member' } });
    const viewer = await h.tokens.mint({ teams: { [teamId]: 'viewer' } });
    h.usage!.calls.length = 0;
    const send = (headers: Record<string, string>, team: string) => {
      const body = multipart(
        { name: 'team.bin', contentType: 'application/octet-stream', bytes: Buffer.from('ours') },
        { teamId: team },
      );
      return h.app.inject({
        method: 'POST',
        url: '/v1/media',
        headers: { ...headers, ...body.headers },
        payload: body.payload,
      });
    };
    const res = await send(member.headers, teamId);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ teamId, ownerUserId: member.userId });
    expect(h.usage!.calls.map((call) => call.subject)).toEqual([{ type: 'team', id: teamId }]);
    expect((await send(viewer.headers, teamId)).statusCode).toBe(403);
    expect((await send(owner.headers, teamId)).statusCode).toBe(404);
    expect((await send(member.headers, 'not-a-uuid')).statusCode).toBe(400);
  });

  it('answers 402 over quota and keeps nothing', async () => {
    const before = await countRows(h.admin, ['workspace']);
    h.usage!.refuse.set('storage_mb', { remaining: 0, limit: 10 });
    try {
      const res = await upload('big.bin', 'application/octet-stream', randomBytes(200_000));
      expect(res.statusCode).toBe(402);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({
        code: 'limit_reached',
        metric: 'storage_mb',
        remaining: 0,
        limit: 10,
      });
    } finally {
      h.usage!.refuse.clear();
    }
    expect(await countRows(h.admin, ['workspace'])).toEqual(before);
  });

  it('stores a file that claims to be a PNG but is not as what its bytes are', async () => {
    const res = await upload(
      'photo.png',
      'image/png',
      Buffer.from('<script>alert(1)</script> not a png at all'),
    );
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().contentType).toBe('application/octet-stream');
    const got = await content(res.json().id);
    expect(got.headers['content-type']).toBe('application/octet-stream');
    expect(got.headers['content-disposition']).toMatch(/^attachment;/);
    expect(got.headers['content-security-policy']).toBe("default-src 'none'; sandbox");
  });

  it('stores a 0-byte file, reserving nothing; any range of it is unsatisfiable', async () => {
    h.usage!.calls.length = 0;
    const res = await upload('empty.txt', 'text/plain', Buffer.alloc(0));
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ sizeBytes: 0, sha256: sha256(Buffer.alloc(0)) });
    expect(h.usage!.calls.flatMap((call) => call.items).every((item) => item.amount === 1)).toBe(true);
    const whole = await content(res.json().id);
    expect(whole.statusCode).toBe(200);
    expect(whole.rawPayload.length).toBe(0);
    expect((await content(res.json().id, { range: 'bytes=0-0' })).statusCode).toBe(416);
  });

  it('keeps a path-traversal name as a display name only', async () => {
    const res = await upload('../../etc/passwd', 'text/plain', Buffer.from('root:x:0:0'));
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().name).toBe('passwd');
    const [row] = await h.admin`select storage_key from workspace.media where id = ${res.json().id}`;
    expect(row!.storage_key).toMatch(/^[0-9a-f]{2}\/[0-9a-f-]{36}$/);
    const got = await content(res.json().id);
    expect(got.rawPayload.toString()).toBe('root:x:0:0');
    expect(got.headers['content-disposition']).toBe(`attachment; filename="passwd"; filename*=UTF-8''passwd`);
  });

  it('refuses a file past UPLOAD_LIMIT_BYTES with 413', async () => {
    const res = await upload(
      'huge.bin',
      'application/octet-stream',
      Buffer.alloc(h.env.UPLOAD_LIMIT_BYTES + 200_000),
    );
    expect(res.statusCode).toBe(413);
  }, 120_000);

  it('deletes a file with its stored object', async () => {
    const res = await upload('gone.bin', 'application/octet-stream', Buffer.from('bye'));
    const [row] = await h.admin`select storage_key from workspace.media where id = ${res.json().id}`;
    expect(await h.deps.store.head(row!.storage_key)).toEqual({ sizeBytes: 3 });
    expect(
      (await h.app.inject({ method: 'DELETE', url: `/v1/media/${res.json().id}`, headers: owner.headers }))
        .statusCode,
    ).toBe(204);
    expect(await h.deps.store.head(row!.storage_key)).toBeNull();
    expect((await countRows(h.admin, ['workspace']))['workspace.object_deletions']).toBe(0);
    expect((await content(res.json().id)).statusCode).toBe(404);
  });

  it('serves public files to anyone and describes them over the bus; private ones stay unknown', async () => {
    const res = await upload('logo.png', 'image/png', PNG);
    const id = res.json().id as string;
    const anonymous = () => h.app.inject({ method: 'GET', url: `/v1/public/media/${id}` });
    expect((await anonymous()).statusCode).toBe(404);
    const stranger = await h.tokens.mint();
    await expect(
      requestRpc(h.bus, workspaceRpc.describeMedia, { actor: { userId: stranger.userId }, mediaId: id }),
    ).rejects.toSatisfy((error) => error instanceof RpcError && error.code === 'not_found');
    expect(
      await requestRpc(h.bus, workspaceRpc.describeMedia, { actor: { userId: owner.userId }, mediaId: id }),
    ).toEqual({ id, contentType: 'image/png', sizeBytes: PNG.length, public: false, usable: true });

    const made = await h.app.inject({
      method: 'PATCH',
      url: `/v1/media/${id}`,
      headers: owner.headers,
      payload: { public: true },
    });
    expect(made.json().public).toBe(true);
    const open = await anonymous();
    expect(open.statusCode).toBe(200);
    expect(open.rawPayload.equals(PNG)).toBe(true);
    expect(open.headers['cache-control']).toBe('public, max-age=300');
    expect(
      await requestRpc(h.bus, workspaceRpc.describeMedia, {
        actor: { userId: stranger.userId },
        mediaId: id,
      }),
    ).toEqual({ id, contentType: 'image/png', sizeBytes: PNG.length, public: true, usable: false });
    // Public to read, not to change: the stranger's own routes still do not know it.
    const strangerSees = await h.app.inject({
      method: 'GET',
      url: `/v1/media/${id}`,
      headers: stranger.headers,
    });
    expect(strangerSees.statusCode).toBe(404);
  });
});
