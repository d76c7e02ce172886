import { randomUUID } from 'node:crypto';
import { walkPages } from '@conduit/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { multipart, startWorkspaceHarness, type WorkspaceHarness } from '../fixtures/workspace-harness.js';

let h: WorkspaceHarness;
beforeAll(async () => {
  h = await startWorkspaceHarness();
});
afterAll(() => h?.close());

it('walks every page of every list, each item once, in order', async () => {
  const teamId = randomUUID();
  const user = await h.tokens.mint({ teams: { [teamId]: 'member' } });
  const call = (method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) =>
    h.app.inject(
      payload ? { method, url, headers: user.headers, payload } : { method, url, headers: user.headers },
    );
  const made = {
    projects: [] as string[],
    chats: [] as string[],
    media: [] as string[],
    projectChats: [] as string[],
    projectFiles: [] as string[],
  };
  for (let i = 0; i < 7; i += 1) {
    made.projects.push(
      (await call('POST', '/v1/workspace/projects', { name: `p${i}`, ...(i % 2 ? { teamId } : {}) })).json()
        .id,
    );
    made.chats.push(
      (
        await call('POST', '/v1/workspace/chats', {
          keyId: 'k',
          nonce: Buffer.alloc(12).toString('base64'),
          ciphertext: Buffer.alloc(16).toString('base64'),
        })
      ).json().id,
    );
    const upload = multipart(
      { name: `f${i}.txt`, contentType: 'text/plain', bytes: Buffer.from(`file ${i}`) },
      i % 2 ? { teamId } : {},
    );
    made.media.push(
      (
        await h.app.inject({
          method: 'POST',
          url: '/v1/media',
          headers: { ...user.headers, ...upload.headers },
          payload: upload.payload,
        })
      ).json().id,
    );
  }
  const project = made.projects[0]!;
  for (let i = 0; i < 7; i += 1) {
    made.projectChats.push(
      (
        await call('POST', `/v1/workspace/projects/${project}/chats`, {
          sessionId: h.startSession(user.userId),
        })
      ).json().id,
    );
    made.projectFiles.push(
      (await call('POST', `/v1/workspace/projects/${project}/files`, { mediaId: made.media[i]! })).json().id,
    );
  }
  const lists: [string, string[]][] = [
    ['/v1/workspace/projects', made.projects],
    ['/v1/workspace/chats', made.chats],
    ['/v1/media', made.media],
    [`/v1/workspace/projects/${project}/chats`, made.projectChats],
    [`/v1/workspace/projects/${project}/files`, made.projectFiles],
  ];
  for (const [url, ids] of lists) {
    const items = await walkPages<{ id: string }>((query) => call('GET', `${url}?${query}`), 3);
    expect(
      items.map((item) => item.id),
      url,
    ).toEqual(ids);
    const bad = await call('GET', `${url}?cursor=not-a-cursor`);
    expect(bad.statusCode, url).toBe(400);
  }
});
