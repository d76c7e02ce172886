import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEAD_CHARS } from '../../src/domain/indexing/index-document.js';
import { migrationsDir } from '../../src/service.js';
import {
  addText,
  bearer,
  createCollection,
  type KnowledgeHarness,
  startKnowledgeHarness,
  waitForDocument,
} from '../fixtures/knowledge-harness.js';

// The document-level index (knowledge.kb_terms) that ranks documents, and what BM25F over its
// three fields (name, lead, body) does with a question.

let h: KnowledgeHarness;
let user: { token: string; userId: string };

beforeAll(async () => {
  h = await startKnowledgeHarness();
  user = await h.tokens.mint();
}, 60_000);
afterAll(async () => {
  await h?.close();
}, 30_000);

const filler = (words: number, seed: string) =>
  Array.from({ length: words }, (_, i) => `${seed}${i % 50}`)
    .join(' ')
    .replace(/(\S+ ){12}/g, '$&\n');

async function indexed(collectionId: string, name: string, text: string) {
  const document = await addText(h, user.token, collectionId, { name, text });
  const done = await waitForDocument(h, user.token, collectionId, document.id);
  expect(done.status).toBe('indexed');
  return document.id;
}

const termsOf = (documentId: string) =>
  h.admin<{ lexeme: string; name_tf: number; lead_tf: number; body_tf: number }[]>`
    select lexeme, name_tf, lead_tf, body_tf from knowledge.kb_terms
    where document_id = ${documentId} order by lexeme`;

const search = async (collectionId: string, q: string) => {
  const res = await h.app.inject({
    method: 'GET',
    url: `/v1/kb/collections/${collectionId}/search?q=${encodeURIComponent(q)}&k=10`,
    headers: bearer(user.token),
  });
  expect(res.statusCode, res.body).toBe(200);
  return (res.json().hits as { documentName: string }[]).map((hit) => hit.documentName);
};

describe('the document index', () => {
  it("counts each word in the document's name, lead and body, and replaces them on re-index", async () => {
    const collection = await createCollection(h, user.token, { name: 'terms' });
    const lead = 'Kettles boil water. '.padEnd(LEAD_CHARS, ' ');
    const text = `${lead}\nA kettle is descaled with vinegar; a kettle lasts years; kettles whistle.`;
    const id = await indexed(collection.id, 'Kettle handbook', text);

    const terms = new Map((await termsOf(id)).map((t) => [t.lexeme, t]));
    expect(terms.get('kettl')).toMatchObject({ name_tf: 1, lead_tf: 1, body_tf: 3 });
    expect(terms.get('handbook')).toMatchObject({ name_tf: 1, lead_tf: 0, body_tf: 0 });
    expect(terms.get('vinegar')).toMatchObject({ name_tf: 0, lead_tf: 0, body_tf: 1 });
    expect(terms.has('a')).toBe(false); // stop words are not indexed
    const [lengths] = await h.admin`
      select name_terms, lead_terms, body_terms from knowledge.kb_documents where id = ${id}`;
    expect(lengths).toEqual({ name_terms: 2, lead_terms: 3, body_terms: 8 });

    const before = await termsOf(id);
    const res = await h.app.inject({
      method: 'POST',
      url: `/v1/kb/collections/${collection.id}/documents/${id}/reindex`,
      headers: bearer(user.token),
    });
    expect(res.statusCode, res.body).toBeLessThan(300);
    await expect
      .poll(
        async () => (await h.admin`select revision, status from knowledge.kb_documents where id = ${id}`)[0],
        // The re-index is a queued job: longer than the poll's default second.
        { timeout: 15_000 },
      )
      .toMatchObject({ revision: 2, status: 'indexed' });
    expect(await termsOf(id)).toEqual(before);

    const deleted = await h.app.inject({
      method: 'DELETE',
      url: `/v1/kb/collections/${collection.id}/documents/${id}`,
      headers: bearer(user.token),
    });
    expect(deleted.statusCode).toBe(204);
    expect(await termsOf(id)).toEqual([]);
  });

  it('counts a word that two overlapping chunks both hold once, as the document holds it', async () => {
    const collection = await createCollection(h, user.token, { name: 'overlap' });
    // Chunks of up to 500 tokens: the first ends with the short paragraph, which the second
    // carries over (it fits in the 60 tokens of overlap) before the next long one.
    const text = `Intro line.\n\n${filler(300, 'alpha')}\n\noverlapmark twice overlapmark.\n\n${filler(300, 'beta')}`;
    const id = await indexed(collection.id, 'Overlapping chunks', text);
    const chunks = await h.admin<{ ordinal: number; holds: boolean }[]>`
      select ordinal, tsv @@ 'overlapmark'::tsquery as holds
      from knowledge.kb_chunks where document_id = ${id} order by ordinal`;
    expect(chunks).toEqual([
      { ordinal: 0, holds: true },
      { ordinal: 1, holds: true },
    ]);
    const terms = await termsOf(id);
    expect(terms.find((t) => t.lexeme === 'overlapmark')).toEqual({
      lexeme: 'overlapmark',
      name_tf: 0,
      lead_tf: 0,
      body_tf: 2,
    });
    expect(terms.find((t) => t.lexeme === 'beta7')?.body_tf).toBe(6);
  });

  it('counts every word of a large file with many distinct words', async () => {
    const collection = await createCollection(h, user.token, { name: 'large' });
    // 2.5 MB of distinct words: more than one tsvector can hold (1 MB).
    const rows = Array.from(
      { length: 40_000 },
      (_, i) => `${crypto.randomUUID()},user${i}@example.com,${i % 4 === 0 ? 'rename' : 'keep'}`,
    );
    const id = await indexed(collection.id, 'accounts.csv', `id,email,action\n${rows.join('\n')}`);
    const [rename] = await h.admin<{ count: number }[]>`
      select lead_tf + body_tf as count from knowledge.kb_terms where document_id = ${id} and lexeme = 'renam'`;
    expect(rename!.count).toBe(10_000); // past the 255 positions a tsvector keeps of a word
    const [document] = await h.admin<{ body_terms: number }[]>`
      select body_terms from knowledge.kb_documents where id = ${id}`;
    expect(document!.body_terms).toBeGreaterThan(100_000);
  }, 60_000);

  it("weighs a chunk's words by field: name and headings A, the document's lead B, the rest D", async () => {
    const collection = await createCollection(h, user.token, { name: 'weights' });
    // The lead ends at the first whitespace from LEAD_CHARS (UTF-16 units) on: 'leadmark' ends
    // there, after ten emoji that are two units each but one character to Postgres.
    const start = `${'🙂'.repeat(10)} ${'filler '.repeat(38)}pad4 `;
    expect(start.length + 'leadmark'.length).toBe(LEAD_CHARS);
    const text = `${start}leadmark bodymark ${filler(300, 'body')}`;
    const id = await indexed(collection.id, 'Namemark', text);
    const weights = await h.admin<{ lexeme: string; weights: string[] }[]>`
      select u.lexeme, array_agg(distinct w order by w) as weights
      from knowledge.kb_chunks c, unnest(c.tsv) u, unnest(u.weights) w
      where c.document_id = ${id} and c.ordinal = 0 and u.lexeme in ('namemark', 'leadmark', 'bodymark')
      group by u.lexeme order by u.lexeme`;
    expect(weights).toEqual([
      { lexeme: 'bodymark', weights: ['D'] },
      { lexeme: 'leadmark', weights: ['B'] },
      { lexeme: 'namemark', weights: ['A'] },
    ]);
  });

  it("carries its document's field lengths in every posting, and has none for a document without chunks", async () => {
    const collection = await createCollection(h, user.token, { name: 'lengths' });
    const id = await indexed(
      collection.id,
      'Kettle care',
      'Kettles boil water.\n\nDescale a kettle with vinegar.',
    );
    const [document] = await h.admin<{ name_terms: number; lead_terms: number; body_terms: number }[]>`
      select name_terms, lead_terms, body_terms from knowledge.kb_documents where id = ${id}`;
    const lengths = await h.admin`
      select distinct name_terms, lead_terms, body_terms from knowledge.kb_terms where document_id = ${id}`;
    expect(lengths).toEqual([document]);
    expect(document!.name_terms + document!.lead_terms + document!.body_terms).toBeGreaterThan(0);
    // Headings only: no chunk to show, so nothing to search by.
    const headings = await indexed(collection.id, 'Kettle outline', '# Kettles\n\n## Descaling');
    const [empty] = await h.admin`
      select d.chunk_count, (select count(*)::int from knowledge.kb_terms t where t.document_id = d.id) as postings
      from knowledge.kb_documents d where d.id = ${headings}`;
    expect(empty).toEqual({ chunk_count: 0, postings: 0 });
  });

  it('is rebuilt from the chunks by migration 0005 exactly as the indexer builds it', async () => {
    const collection = await createCollection(h, user.token, { name: 'backfill' });
    const ids = [
      await indexed(collection.id, 'short note', 'Backups run nightly at two.'),
      await indexed(
        collection.id,
        'long manual',
        `# Backup manual\n\nHow backups work.\n\n## Schedule\n\n${filler(900, 'nightly')}\n\n## Restore\n\n${filler(700, 'restore')}`,
      ),
    ];
    const snapshot = async () => ({
      terms: await h.admin`select * from knowledge.kb_terms where document_id = any(${ids}::uuid[])
                           order by document_id, lexeme`,
      lengths: await h.admin`select id, name_terms, lead_terms, body_terms from knowledge.kb_documents
                             where id = any(${ids}::uuid[]) order by id`,
    });
    const indexedByWorker = await snapshot();
    expect(indexedByWorker.terms.length).toBeGreaterThan(100);

    // As before the migration: no postings, no lengths. Then its back-fill statement, as written.
    await h.admin`delete from knowledge.kb_terms where collection_id = ${collection.id}`;
    await h.admin`update knowledge.kb_documents set name_terms = 0, lead_terms = 0, body_terms = 0
                  where collection_id = ${collection.id}`;
    const migration = await readFile(`${migrationsDir}/0005_document_ranking.sql`, 'utf8');
    const backfill = migration.slice(migration.indexOf('-- Documents indexed before this migration'));
    // The postings' copy of their documents' lengths came with 0014, after 0005: on a database
    // migrated through both, 0005 wrote postings without them and 0014 filled them in.
    const lengthsMigration = await readFile(
      `${migrationsDir}/0014_postings_carry_document_lengths.sql`,
      'utf8',
    );
    const fillLengths = lengthsMigration.slice(
      lengthsMigration.indexOf('select set_config'),
      lengthsMigration.indexOf('-- Every writer names the lengths'),
    );
    const lengthColumns = ['name_terms', 'lead_terms', 'body_terms'];
    const defaults = (to: string) =>
      h.admin.unsafe(
        `alter table knowledge.kb_terms ${lengthColumns.map((column) => `alter column ${column} ${to}`).join(', ')}`,
      );
    await defaults('set default 0');
    try {
      await h.admin.begin(async (tx) => {
        await tx.unsafe(backfill);
        await tx.unsafe(fillLengths);
      });
    } finally {
      await defaults('drop default');
    }
    expect(await snapshot()).toEqual(indexedByWorker);
  }, 30_000);
});

describe('ranking documents with BM25F', () => {
  let collectionId: string;
  beforeAll(async () => {
    collectionId = (await createCollection(h, user.token, { name: 'ranking' })).id;
    // The answer names the task in its lead; its other words are far down, in another chunk.
    await indexed(
      collectionId,
      'unitctl',
      `unitctl - control the system and service manager\n\n${filler(1200, 'option')}\n\nrestart UNIT: stop and start a unit again.`,
    );
    // A long page that says "restart" all over its body but is about something else.
    await indexed(
      collectionId,
      'parser-notes',
      `parser notes - how the parser reads its input\n\n${filler(60, 'token')}\n\n${Array.from(
        { length: 60 },
        () => 'The parser may restart a scan after an error.',
      ).join('\n\n')}`,
    );
    await indexed(collectionId, 'kettle', 'kettle - boil water for tea');
  }, 60_000);

  it('adds up the words of a document found in different chunks, its lead weighing most', async () => {
    expect((await search(collectionId, 'restart a service'))[0]).toBe('unitctl');
  });

  it('does not let a page win by repeating a word', async () => {
    const ranked = await search(collectionId, 'restart the service manager');
    expect(ranked[0]).toBe('unitctl');
    expect(ranked).toContain('parser-notes');
  });

  it('finds a document by words of its name', async () => {
    expect((await search(collectionId, 'unitctl'))[0]).toBe('unitctl');
  });
});
