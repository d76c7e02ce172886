import { webcrypto } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkspaceHarness, type WorkspaceHarness } from '../fixtures/workspace-harness.js';

const { subtle } = webcrypto;

/** A client's end of an encrypted chat: its own AES-GCM key, which the server never sees. */
async function newClientKey() {
  const key = await subtle.generateKey({ name: 'AES-GCM', length: 256 }, true, ['encrypt', 'decrypt']);
  const seal = async (plaintext: string) => {
    const nonce = webcrypto.getRandomValues(new Uint8Array(12));
    const sealed = await subtle.encrypt(
      { name: 'AES-GCM', iv: nonce },
      key,
      new TextEncoder().encode(plaintext),
    );
    return {
      nonce: Buffer.from(nonce).toString('base64'),
      ciphertext: Buffer.from(sealed).toString('base64'),
    };
  };
  const open = async (nonce: string, ciphertext: string) =>
    new TextDecoder().decode(
      await subtle.decrypt(
        { name: 'AES-GCM', iv: Buffer.from(nonce, 'base64') },
        key,
        Buffer.from(ciphertext, 'base64'),
      ),
    );
  return { seal, open };
}

async function sealedChat(
  client: Awaited<ReturnType<typeof newClientKey>>,
  messages: unknown,
  title: string,
) {
  const body = await client.seal(JSON.stringify(messages));
  const sealedTitle = await client.seal(title);
  return {
    keyId: 'device-key-1',
    algorithm: 'AES-GCM',
    nonce: body.nonce,
    ciphertext: body.ciphertext,
    titleNonce: sealedTitle.nonce,
    titleCiphertext: sealedTitle.ciphertext,
    lastMessageAt: '2026-12-06T05:00:00Z',
  };
}

let h: WorkspaceHarness;
beforeAll(async () => {
  h = await startWorkspaceHarness();
});
afterAll(() => h?.close());

describe('encrypted chats', () => {
  const secret = 'the launch code is tangerine-42';
  const messages = [
    { role: 'user', content: secret },
    { role: 'assistant', content: 'I will keep it to myself.' },
  ];

  it('keeps only ciphertext, and a client with the key gets the chat back', async () => {
    const owner = await h.tokens.mint();
    const client = await newClientKey();
    const created = await h.app.inject({
      method: 'POST',
      url: '/v1/workspace/chats',
      headers: owner.headers,
      payload: await sealedChat(client, messages, 'Secret plans'),
    });
    expect(created.statusCode, created.body).toBe(201);
    const chat = created.json();
    expect(chat).toMatchObject({ keyId: 'device-key-1', algorithm: 'AES-GCM', version: 1 });

    // The table itself: every column of the row, as text, holds neither the messages nor the title.
    const rows = await h.admin`select to_jsonb(c)::text as row, ciphertext, title_ciphertext
                               from workspace.encrypted_chats c where id = ${chat.id}`;
    expect(rows).toHaveLength(1);
    const stored = rows[0]!;
    for (const plain of [secret, 'tangerine', 'Secret plans', 'assistant']) {
      expect(stored.row as string).not.toContain(plain);
      expect(stored.row as string).not.toContain(Buffer.from(plain).toString('hex'));
      expect((stored.ciphertext as Buffer).includes(Buffer.from(plain))).toBe(false);
    }
    expect((stored.ciphertext as Buffer).toString('base64')).toBe(chat.ciphertext);

    const got = await h.app.inject({
      method: 'GET',
      url: `/v1/workspace/chats/${chat.id}`,
      headers: owner.headers,
    });
    expect(got.statusCode).toBe(200);
    const back = got.json();
    expect(JSON.parse(await client.open(back.nonce, back.ciphertext))).toEqual(messages);
    expect(await client.open(back.titleNonce, back.titleCiphertext)).toBe('Secret plans');

    // A second device saves a new version; a stale save is refused so the client can merge.
    const next = await sealedChat(
      client,
      [...messages, { role: 'user', content: 'and one more' }],
      'Secret plans',
    );
    const saved = await h.app.inject({
      method: 'PUT',
      url: `/v1/workspace/chats/${chat.id}`,
      headers: owner.headers,
      payload: { ...next, expectedVersion: 1 },
    });
    expect(saved.statusCode, saved.body).toBe(200);
    expect(saved.json().version).toBe(2);
    const stale = await h.app.inject({
      method: 'PUT',
      url: `/v1/workspace/chats/${chat.id}`,
      headers: owner.headers,
      payload: { ...next, expectedVersion: 1 },
    });
    expect(stale.statusCode).toBe(409);
    const latest = (
      await h.app.inject({ method: 'GET', url: `/v1/workspace/chats/${chat.id}`, headers: owner.headers })
    ).json();
    expect(JSON.parse(await client.open(latest.nonce, latest.ciphertext))).toHaveLength(3);
  });

  it('lets no other user read, change, list, sync or link it: 404 exactly as an unknown id', async () => {
    const owner = await h.tokens.mint();
    const stranger = await h.tokens.mint();
    const client = await newClientKey();
    const chat = (
      await h.app.inject({
        method: 'POST',
        url: '/v1/workspace/chats',
        headers: owner.headers,
        payload: await sealedChat(client, messages, 'Mine'),
      })
    ).json();
    const unknown = '0190f5d2-0000-7000-8000-000000000000';
    const asStranger = async (method: 'GET' | 'PUT' | 'DELETE', id: string) => {
      const res = await h.app.inject({
        method,
        url: `/v1/workspace/chats/${id}`,
        headers: stranger.headers,
        ...(method === 'PUT' && { payload: await sealedChat(client, [], 'taken') }),
      });
      const { requestId: _ignored, ...problem } = res.json();
      return { status: res.statusCode, problem };
    };
    for (const method of ['GET', 'PUT', 'DELETE'] as const) {
      const theirs = await asStranger(method, chat.id);
      expect(theirs.status).toBe(404);
      expect(theirs).toEqual(await asStranger(method, unknown));
    }

    const list = await h.app.inject({ method: 'GET', url: '/v1/workspace/chats', headers: stranger.headers });
    expect(list.json().items).toEqual([]);
    const sync = await h.app.inject({ method: 'GET', url: '/v1/sync', headers: stranger.headers });
    expect(JSON.stringify(sync.json())).not.toContain(chat.id);

    const project = (
      await h.app.inject({
        method: 'POST',
        url: '/v1/workspace/projects',
        headers: stranger.headers,
        payload: { name: 'Snooping' },
      })
    ).json();
    const link = await h.app.inject({
      method: 'POST',
      url: `/v1/workspace/projects/${project.id}/chats`,
      headers: stranger.headers,
      payload: { encryptedChatId: chat.id },
    });
    expect(link.statusCode).toBe(404);

    // Still the owner's, unchanged.
    const mine = await h.app.inject({
      method: 'GET',
      url: `/v1/workspace/chats/${chat.id}`,
      headers: owner.headers,
    });
    expect(mine.json().version).toBe(1);
  });

  it('refuses what is not base64 of a sensible size, and a title half given', async () => {
    const owner = await h.tokens.mint();
    const client = await newClientKey();
    const good = await sealedChat(client, messages, 'ok');
    for (const bad of [
      { ...good, ciphertext: 'not base64!' },
      { ...good, nonce: Buffer.alloc(4).toString('base64') },
      { ...good, ciphertext: Buffer.alloc(8).toString('base64') },
      { ...good, titleNonce: undefined },
      { ...good, plaintext: 'sneaked in' },
    ]) {
      const res = await h.app.inject({
        method: 'POST',
        url: '/v1/workspace/chats',
        headers: owner.headers,
        payload: bad,
      });
      expect(res.statusCode, JSON.stringify(bad).slice(0, 80)).toBe(400);
    }
  });
});
