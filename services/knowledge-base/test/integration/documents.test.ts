import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDocx, makePdf, multipartBody } from '../fixtures/files.js';
import {
  addText,
  bearer,
  createCollection,
  type KnowledgeHarness,
  startKnowledgeHarness,
  waitForDocument,
} from '../fixtures/knowledge-harness.js';

let h: KnowledgeHarness;
let user: { token: string; userId: string };
let collectionId: string;

beforeAll(async () => {
  h = await startKnowledgeHarness();
  user = await h.tokens.mint();
  collectionId = (await createCollection(h, user.token, { name: 'files' })).id;
}, 60_000);
afterAll(async () => {
  await h?.close();
}, 30_000);

const upload = async (
  file: { name: string; bytes: Buffer; type?: string },
  fields: Record<string, string> = {},
) => {
  const body = await multipartBody(file, fields);
  return h.app.inject({
    method: 'POST',
    url: `/v1/kb/collections/${collectionId}/documents`,
    headers: { ...bearer(user.token), ...body.headers },
    payload: body.payload,
  });
};

const searchFor = async (q: string) => {
  const res = await h.app.inject({
    method: 'GET',
    url: `/v1/kb/collections/${collectionId}/search?q=${encodeURIComponent(q)}&k=3`,
    headers: bearer(user.token),
  });
  return res.json().hits as { documentName: string; headingPath: string[]; content: string }[];
};

describe('uploads of every supported type', () => {
  const cases: [string, () => Promise<Buffer> | Buffer, string, string[]?][] = [
    [
      'notes.txt',
      () => Buffer.from('The walrus colony gathers on the northern beach every August.'),
      'walrus colony',
    ],
    [
      'guide.md',
      () => Buffer.from('# Setup\n\n## Gardening\n\nWater the begonias twice weekly.\n'),
      'begonias',
      ['Setup', 'Gardening'],
    ],
    [
      'page.html',
      () =>
        Buffer.from(
          '<html><body><h1>Harbour</h1><p>Lighthouse keepers log every <b>passing ship</b>.</p><script>evil()</script></body></html>',
        ),
      'lighthouse keepers',
      ['HARBOUR'],
    ],
    [
      'report.pdf',
      () => makePdf([['Quarterly report'], ['The zeppelin division doubled its revenue.']]),
      'zeppelin revenue',
    ],
    [
      'memo.docx',
      () => makeDocx('Expenses', ['Reimbursements for the saxophone rental are approved.']),
      'saxophone rental',
      ['EXPENSES'],
    ],
    [
      'staff.csv',
      () => Buffer.from('name,role\nAda Lovelace,cartographer\nAlan Turing,glassblower\n'),
      'glassblower',
    ],
    [
      'catalog.json',
      () => Buffer.from(JSON.stringify({ products: [{ name: 'Trombone', material: 'brass' }] })),
      'trombone brass',
    ],
  ];

  it.each(cases)('indexes %s and finds it by its content', async (name, make, query, headingPath) => {
    const res = await upload({ name, bytes: await make() }, { metadata: JSON.stringify({ origin: 'test' }) });
    expect(res.statusCode, res.body).toBe(201);
    const document = res.json();
    expect(document).toMatchObject({ name, status: 'pending', metadata: { origin: 'test' } });
    const done = await waitForDocument(h, user.token, collectionId, document.id);
    expect(done, JSON.stringify(done)).toMatchObject({ status: 'indexed', error: null, attempts: 1 });
    expect(done.chunkCount).toBeGreaterThan(0);
    const hits = await searchFor(query);
    expect(hits[0]?.documentName).toBe(name);
    if (headingPath) expect(hits[0]!.headingPath).toEqual(headingPath);
    expect(hits[0]!.content).not.toContain('evil()');
  });

  it('stores the same content once per collection', async () => {
    const first = await addText(h, user.token, collectionId, {
      name: 'dup-a',
      text: 'identical content about quokkas',
      metadata: { source: 'notes', tags: ['zoo', 'marsupials'] },
    });
    const again = await h.app.inject({
      method: 'POST',
      url: `/v1/kb/collections/${collectionId}/documents`,
      headers: bearer(user.token),
      payload: { name: 'dup-b', text: 'identical content about quokkas' },
    });
    expect(again.statusCode).toBe(200);
    // The first answer is made without reading the row back; the second reads it: the same
    // document (its status, attempts and updatedAt move on as the worker indexes it).
    const { status, attempts, chunkCount, indexedAt, updatedAt, ...stored } = again.json();
    expect(first).toMatchObject({
      ...stored,
      status: 'pending',
      attempts: 0,
      chunkCount: 0,
      indexedAt: null,
    });
    expect(Date.parse(updatedAt)).toBeGreaterThanOrEqual(Date.parse(first.createdAt as string));
  });
});

describe('bad files fail their document, never the service', () => {
  const corrupt: [string, Buffer, RegExp][] = [
    ['broken.pdf', Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage'), /PDF file cannot be read/],
    [
      'broken.docx',
      Buffer.from('PK\u0003\u0004 this is not a zip archive at all'),
      /DOCX file cannot be read/,
    ],
    ['broken.json', Buffer.from('{"products": [1, 2'), /JSON file does not parse/],
    ['broken.csv', Buffer.from('a,b\n"unterminated,quote\n'), /CSV file does not parse/],
    ['binary.txt', Buffer.from([0x48, 0x00, 0x01, 0xff, 0xfe]), /binary data/],
    ['latin1.md', Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x0a]), /not valid UTF-8/],
    ['empty.html', Buffer.from('<html><body><script>x()</script></body></html>'), /contains no text/],
  ];

  it.each(corrupt)(
    '%s fails with a clear error, at once, recorded in failed_jobs',
    async (name, bytes, error) => {
      const res = await upload({ name, bytes });
      expect(res.statusCode, res.body).toBe(201);
      const done = await waitForDocument(h, user.token, collectionId, res.json().id);
      expect(done.status).toBe('failed');
      expect(done.error).toMatch(error);
      expect(done.attempts).toBe(1);
      await expect
        .poll(
          async () =>
            (
              await h.admin`select count(*)::int as n from knowledge.failed_jobs where payload->>'documentId' = ${done.id}`
            )[0]!.n,
          // Written after the queue has moved the job to failed: a moment after the document says so.
          { timeout: 10_000 },
        )
        .toBe(1);
      await expect
        .poll(
          async () =>
            (
              await h.admin`select count(*)::int as n from knowledge.outbox
                        where subject = 'knowledge.document.failed' and payload->'data'->>'documentId' = ${done.id} and published_at is not null`
            )[0]!.n,
          // The relay marks the row once NATS has acked it.
          { timeout: 10_000 },
        )
        .toBe(1);
    },
  );

  it('refuses an unsupported file type with 415 and a list of the supported ones', async () => {
    const res = await upload({ name: 'setup.exe', bytes: Buffer.from('MZ\u0090\u0000') });
    expect(res.statusCode).toBe(415);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().detail).toContain('.pdf');
  });

  it('refuses a file over 25 MiB with 413, and inline text as long as that as too long', async () => {
    const res = await upload({ name: 'huge.txt', bytes: Buffer.alloc(25 * 1024 * 1024 + 1, 'a') });
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('payload_too_large');
    const inline = await h.app.inject({
      method: 'POST',
      url: `/v1/kb/collections/${collectionId}/documents`,
      headers: bearer(user.token),
      payload: { name: 'huge', text: 'a'.repeat(25 * 1024 * 1024 + 1) },
    });
    expect(inline.statusCode).toBe(400);
    expect(inline.json().errors).toEqual([{ path: 'body.text', message: expect.stringMatching(/Too big/) }]);
  });

  it('answers 4xx problem+json for malformed bodies and ids', async () => {
    const cases = [
      { url: `/v1/kb/collections/${collectionId}/documents`, payload: { name: 'x' } },
      {
        url: `/v1/kb/collections/${collectionId}/documents`,
        payload: 'not json',
        headers: { 'content-type': 'application/json' },
      },
      { url: '/v1/kb/collections/not-a-uuid/documents', payload: { name: 'x', text: 'y' } },
      {
        url: `/v1/kb/collections/${collectionId}/documents`,
        payload: 'x',
        headers: { 'content-type': 'multipart/form-data; boundary=zzz' },
      },
    ];
    for (const c of cases) {
      const res = await h.app.inject({
        method: 'POST',
        url: c.url,
        headers: { ...bearer(user.token), ...(c.headers ?? {}) },
        payload: c.payload,
      });
      expect(res.statusCode, res.body).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, res.body).toBeLessThan(500);
    }
  });

  it('deletes a document and re-indexes one on request', async () => {
    const document = await addText(h, user.token, collectionId, {
      name: 'temp',
      text: 'ephemeral notes about narwhals',
    });
    await waitForDocument(h, user.token, collectionId, document.id);
    const again = await h.app.inject({
      method: 'POST',
      url: `/v1/kb/collections/${collectionId}/documents/${document.id}/reindex`,
      headers: bearer(user.token),
    });
    expect(again.statusCode).toBe(202);
    const done = await waitForDocument(h, user.token, collectionId, document.id);
    expect(done).toMatchObject({ status: 'indexed', attempts: 1 });
    const [chunks] =
      await h.admin`select count(*)::int as n from knowledge.kb_chunks where document_id = ${document.id}`;
    expect(chunks!.n).toBe(done.chunkCount);
    const deleted = await h.app.inject({
      method: 'DELETE',
      url: `/v1/kb/collections/${collectionId}/documents/${document.id}`,
      headers: bearer(user.token),
    });
    expect(deleted.statusCode).toBe(204);
    const [left] =
      await h.admin`select count(*)::int as n from knowledge.kb_chunks where document_id = ${document.id}`;
    expect(left!.n).toBe(0);
    expect((await searchFor('narwhals')).map((hit) => hit.documentName)).not.toContain('temp');
  });
});

describe("a document's chunks", () => {
  it('lists them in order, a page at a time, with offsets into the text and heading paths', async () => {
    const sections = ['Install', 'Configure', 'Run', 'Upgrade'].map(
      (title) =>
        `## ${title}\n\n${Array.from({ length: 12 }, (_, i) => `Step ${i + 1} to ${title.toLowerCase()} the service.`).join(' ')}`,
    );
    const text = `# Guide\n\n${sections.join('\n\n')}`;
    const collection = await createCollection(h, user.token, {
      name: 'guides',
      settings: { chunkSize: 60, chunkOverlap: 10 },
    });
    const document = await addText(h, user.token, collection.id, {
      name: 'guide',
      text,
      mediaType: 'text/markdown',
    });
    const done = await waitForDocument(h, user.token, collection.id, document.id);
    expect(done.chunkCount).toBeGreaterThan(4);
    const url = `/v1/kb/collections/${collection.id}/documents/${document.id}/chunks`;
    const all: {
      ordinal: number;
      headingPath: string[];
      charStart: number;
      charEnd: number;
      content: string;
    }[] = [];
    let cursor: string | null = null;
    do {
      const res = await h.app.inject({
        method: 'GET',
        url: `${url}?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        headers: bearer(user.token),
      });
      expect(res.statusCode, res.body).toBe(200);
      const page = res.json() as { items: typeof all; nextCursor: string | null };
      expect(page.items.length).toBeLessThanOrEqual(2);
      all.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(all.map((chunk) => chunk.ordinal)).toEqual([...Array(done.chunkCount).keys()]);
    for (const chunk of all) expect(text.slice(chunk.charStart, chunk.charEnd)).toBe(chunk.content);
    expect(all.at(-1)!.headingPath).toEqual(['Guide', 'Upgrade']);

    for (const [path, status] of [
      [`${url}?cursor=abc`, 400],
      [`${url}?limit=0`, 400],
      [`/v1/kb/collections/${collection.id}/documents/${crypto.randomUUID()}/chunks`, 404],
      // A document of another collection is not found through this one.
      [`/v1/kb/collections/${collectionId}/documents/${document.id}/chunks`, 404],
    ] as const) {
      const res = await h.app.inject({ method: 'GET', url: path, headers: bearer(user.token) });
      expect(res.statusCode, path).toBe(status);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    }
    const stranger = await h.tokens.mint();
    const hidden = await h.app.inject({ method: 'GET', url, headers: bearer(stranger.token) });
    expect(hidden.statusCode).toBe(404);
  });
});
