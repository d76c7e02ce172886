import { unrefusedCursors, walkPages } from '@conduit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addText,
  bearer,
  createCollection,
  type KnowledgeHarness,
  startKnowledgeHarness,
  waitForDocument,
} from '../fixtures/knowledge-harness.js';

// Every list route of the knowledge base, read two items at a time from the first page to the
// last, against the same rows read in order straight from Postgres.

let h: KnowledgeHarness;
let token: string;
let collectionId: string;
let documentId: string;
let sessionId: string;

beforeAll(async () => {
  h = await startKnowledgeHarness();
  const caller = await h.tokens.mint();
  token = caller.token;
  sessionId = h.sessions.start(caller.userId);
  const collections = [];
  for (const name of ['handbook', 'faq', 'recipes'])
    collections.push(
      await createCollection(h, token, { name, settings: { chunkSize: 60, chunkOverlap: 10 } }),
    );
  collectionId = collections[0]!.id;
  // Three documents, the last long enough to be cut into many chunks.
  const steps = Array.from({ length: 30 }, (_, i) => `Step ${i + 1} keeps the service running.`).join(' ');
  for (const [name, text] of [
    ['short', 'A short note.'],
    ['shorter', 'Another note.'],
    ['guide', `# Guide\n\n${steps}`],
  ] as const) {
    const document = await addText(h, token, collectionId, { name, text, mediaType: 'text/markdown' });
    expect((await waitForDocument(h, token, collectionId, document.id)).status).toBe('indexed');
    documentId = document.id;
  }
  for (const path of ['one', 'two', 'three']) {
    const created = await h.app.inject({
      method: 'POST',
      url: `/v1/kb/collections/${collectionId}/datasources`,
      headers: bearer(token),
      payload: { url: `http://127.0.0.1:9/${path}` },
    });
    expect(created.statusCode, created.body).toBe(201);
  }
  for (const collection of collections) {
    const linked = await h.app.inject({
      method: 'PUT',
      url: `/v1/kb/sessions/${sessionId}/collections/${collection.id}`,
      headers: bearer(token),
    });
    expect(linked.statusCode, linked.body).toBe(201);
  }
}, 120_000);
afterAll(() => h?.close(), 30_000);

interface ListCase {
  path: string;
  /** What the item is known by in the list. */
  idOf: (item: Record<string, unknown>) => unknown;
  /** The same rows, in the list's order, read as the owner of the database. */
  expected: () => Promise<unknown[]>;
}

const column = async <Row extends Record<string, unknown>>(rows: Promise<Row[]>, name: keyof Row) =>
  (await rows).map((row) => row[name]);

const lists: ListCase[] = [
  {
    path: '/v1/kb/collections',
    idOf: (item) => item.id,
    expected: () => column(h.admin`select id from knowledge.kb_collections order by id`, 'id'),
  },
  {
    path: '/v1/kb/collections/{collectionId}/documents',
    idOf: (item) => item.id,
    expected: () =>
      column(
        h.admin`select id from knowledge.kb_documents where collection_id = ${collectionId} order by id`,
        'id',
      ),
  },
  {
    path: '/v1/kb/collections/{collectionId}/documents?status=indexed',
    idOf: (item) => item.id,
    expected: () =>
      column(
        h.admin`select id from knowledge.kb_documents
          where collection_id = ${collectionId} and status = 'indexed' order by id`,
        'id',
      ),
  },
  {
    path: '/v1/kb/collections/{collectionId}/documents/{documentId}/chunks',
    idOf: (item) => item.ordinal,
    expected: () =>
      column(
        h.admin`select ordinal from knowledge.kb_chunks where document_id = ${documentId} order by ordinal`,
        'ordinal',
      ),
  },
  {
    path: '/v1/kb/collections/{collectionId}/datasources',
    idOf: (item) => item.id,
    expected: () =>
      column(
        h.admin`select id from knowledge.datasources where collection_id = ${collectionId} order by id`,
        'id',
      ),
  },
  {
    path: '/v1/kb/sessions/{sessionId}/collections',
    idOf: (item) => (item.collection as { id: string }).id,
    expected: () =>
      column(
        h.admin`select collection_id from knowledge.user_kb_associations where session_id = ${sessionId}
          order by created_at, id`,
        'collection_id',
      ),
  },
];

const get = (url: string) => h.app.inject({ method: 'GET', url, headers: bearer(token) });
const urlOf = (path: string, query: string) =>
  `${path
    .replace('{collectionId}', collectionId)
    .replace('{documentId}', documentId)
    .replace('{sessionId}', sessionId)}${path.includes('?') ? '&' : '?'}${query}`;

describe('every list of the knowledge base pages with an opaque cursor', () => {
  it.each(lists)('GET $path: every item once, in order, two at a time', async (list) => {
    const walked = await walkPages<Record<string, unknown>>((query) => get(urlOf(list.path, query)), 2);
    const expected = await list.expected();
    expect(expected.length).toBeGreaterThan(2);
    expect(walked.map(list.idOf)).toEqual(expected);
  });

  it.each(lists)('GET $path: a malformed or tampered cursor is a 400 problem', async (list) => {
    const real = (await get(urlOf(list.path, 'limit=1'))).json().nextCursor as string;
    expect(real).toEqual(expect.any(String));
    expect(await unrefusedCursors((query) => get(urlOf(list.path, query)), real)).toEqual([]);
  });
});
