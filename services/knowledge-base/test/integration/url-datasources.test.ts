import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchUrl } from '../../src/domain/datasources/fetch-url.js';
import {
  bearer,
  createCollection,
  type KnowledgeHarness,
  startKnowledgeHarness,
} from '../fixtures/knowledge-harness.js';

let server: Server;
let origin: string;
let page = '<h1>Ferries</h1><p>The night ferry leaves at eleven.</p>';
let h: KnowledgeHarness;
let user: { token: string; userId: string };

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/moved') return void res.writeHead(302, { location: '/timetable.html' }).end();
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  h = await startKnowledgeHarness({ env: { URL_FETCH_ALLOW_PRIVATE: 'true' } });
  user = await h.tokens.mint();
}, 60_000);
afterAll(async () => {
  await h?.close();
  await new Promise((resolve) => server?.close(resolve));
}, 30_000);

const documents = async (collectionId: string) =>
  (
    await h.app.inject({
      method: 'GET',
      url: `/v1/kb/collections/${collectionId}/documents`,
      headers: bearer(user.token),
    })
  ).json().items as { id: string; name: string; status: string; datasourceId: string }[];

describe('URL data sources', () => {
  it('fetches a URL (following redirects) into an indexed document, and replaces it when the content changes', async () => {
    const collection = await createCollection(h, user.token, { name: 'web' });
    const res = await h.app.inject({
      method: 'POST',
      url: `/v1/kb/collections/${collection.id}/datasources`,
      headers: bearer(user.token),
      payload: { url: `${origin}/moved`, schedule: '*/5 * * * *' },
    });
    expect(res.statusCode, res.body).toBe(201);
    const source = res.json();
    expect(source).toMatchObject({ kind: 'url', schedule: '*/5 * * * *' });
    await expect
      .poll(async () => (await documents(collection.id)).map((d) => d.status), { timeout: 15_000 })
      .toEqual(['indexed']);
    const search = await h.app.inject({
      method: 'GET',
      url: `/v1/kb/collections/${collection.id}/search?q=${encodeURIComponent('when does the night ferry leave')}`,
      headers: bearer(user.token),
    });
    expect(search.json().hits[0]).toMatchObject({ headingPath: ['FERRIES'] });
    const [first] = await documents(collection.id);

    // The next scheduled fetch, run now: new content replaces the old document (a new id; until
    // the fetch runs, the old document is still the one indexed document).
    page = '<h1>Ferries</h1><p>From May the night ferry leaves at midnight.</p>';
    await h.deps.jobs.add('fetch-datasource', { datasourceId: source.id });
    await expect
      .poll(
        async () =>
          (await documents(collection.id)).map((d) => ({ replaced: d.id !== first!.id, status: d.status })),
        { timeout: 15_000 },
      )
      .toEqual([{ replaced: true, status: 'indexed' }]);
    const [row] =
      await h.admin`select o.content from knowledge.kb_document_originals o join knowledge.kb_documents d on d.id = o.document_id where d.datasource_id = ${source.id}`;
    expect(Buffer.from(row!.content).toString()).toContain('midnight');
    const removed = await h.app.inject({
      method: 'DELETE',
      url: `/v1/kb/collections/${collection.id}/datasources/${source.id}`,
      headers: bearer(user.token),
    });
    expect(removed.statusCode).toBe(204);
  });

  it('refuses private and loopback addresses unless allowed, and non-http schemes', async () => {
    const options = { limitBytes: 1024, timeoutMs: 2000, allowPrivate: false };
    await expect(fetchUrl(`${origin}/x`, options)).rejects.toThrow(/private address/);
    await expect(fetchUrl('http://localhost:1/x', options)).rejects.toThrow(/private address/);
    await expect(fetchUrl('http://[::1]:1/x', options)).rejects.toThrow(/private address/);
    await expect(fetchUrl('file:///etc/passwd', options)).rejects.toThrow(/only http/);
    const bad = await h.app.inject({
      method: 'POST',
      url: `/v1/kb/collections/${(await createCollection(h, user.token)).id}/datasources`,
      headers: bearer(user.token),
      payload: { url: 'ftp://example.com/x' },
    });
    expect(bad.statusCode).toBe(400);
    const badSchedule = await h.app.inject({
      method: 'POST',
      url: `/v1/kb/collections/${(await createCollection(h, user.token)).id}/datasources`,
      headers: bearer(user.token),
      payload: { url: 'https://example.com/x', schedule: '99 99 99 99 99' },
    });
    expect(badSchedule.statusCode).toBe(422);
  });
});
