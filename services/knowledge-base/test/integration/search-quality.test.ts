import { withActor } from '@conduit/db';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RRF_K, TEXT_WEIGHT, VECTOR_WEIGHT } from '../../src/domain/search/hybrid-search.js';
import { allWordsChunks, textLeg } from '../../src/domain/search/text-leg.js';
import {
  addText,
  bearer,
  createCollection,
  type KnowledgeHarness,
  startKnowledgeHarness,
  waitForDocument,
} from '../fixtures/knowledge-harness.js';
import { readManPages } from '../fixtures/manpages.js';

// A slice of the real corpus, and plain questions a user might ask of it, each with the page
// that answers it. Several pages share words with each question (cp/mv/rm, ssh/ssh_config,
// chmod(1)/chmod(2), crontab(1)/crontab(5), ...), so being first means something.
const PAGES = [
  'cp.1',
  'mv.1',
  'rm.1',
  'ls.1',
  'ln.1',
  'mkdir.1',
  'chmod.1',
  'chown.1',
  'df.1',
  'du.1',
  'ssh.1',
  'ssh_config.5',
  'chmod.2',
  'mkdir.2',
  'git-commit.1',
  'git-push.1',
  'tar.1',
  'crontab.1',
  'crontab.5',
  'find.1',
  'grep.1',
];
const QUESTIONS: [question: string, expected: string][] = [
  ['how do I copy a directory with its contents', 'cp(1)'],
  ['which file configures per-host ssh options', 'ssh_config(5)'],
  ['how do I record my changes to the repository', 'git-commit(1)'],
  ['how to extract files from a tar archive', 'tar(1)'],
  // chmod(2)'s title is literally "change permissions of a file": either page answers it.
  ['how can I change the permissions of a file', 'chmod'],
  ['how do I change the owner and group of a file', 'chown(1)'],
  ['how much free disk space is left on each file system', 'df(1)'],
  ['make a symbolic link to a file', 'ln(1)'],
  ['how do I remove a directory and everything inside it', 'rm(1)'],
  ['how do I push my local branch to a remote repository', 'git-push(1)'],
  ['search files for lines matching a pattern', 'grep(1)'],
  ['rename a file', 'mv(1)'],
];

/** `chmod(2)` answers for `chmod(2)` and for `chmod`. */
const matches = (name: string | undefined, expected: string) =>
  name !== undefined && (name === expected || name.startsWith(`${expected}(`));

let h: KnowledgeHarness;
let user: { token: string; userId: string };
let collectionId: string;

beforeAll(async () => {
  h = await startKnowledgeHarness();
  user = await h.tokens.mint();
  collectionId = (await createCollection(h, user.token, { name: 'man pages' })).id;
  const pages = await readManPages(PAGES);
  expect(pages).toHaveLength(PAGES.length);
  const documents = await Promise.all(
    pages.map((page) =>
      addText(h, user.token, collectionId, {
        name: `${page.name}(${page.section})`,
        text: page.text,
        metadata: { section: page.section },
      }),
    ),
  );
  for (const document of documents) {
    const done = await waitForDocument(
      h,
      user.token,
      collectionId,
      document.id,
      ['indexed', 'failed'],
      60_000,
    );
    expect(done.status).toBe('indexed');
  }
}, 120_000);
afterAll(async () => {
  await h?.close();
}, 30_000);

const search = async (q: string, k = 5, extra = '') => {
  const res = await h.app.inject({
    method: 'GET',
    url: `/v1/kb/collections/${collectionId}/search?q=${encodeURIComponent(q)}&k=${k}${extra}`,
    headers: bearer(user.token),
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().hits as {
    documentName: string;
    headingPath: string[];
    charStart: number;
    charEnd: number;
    content: string;
    snippet: string;
    score: number;
    textRank: number | null;
    vectorRank: number | null;
    textScore: number | null;
    vectorScore: number | null;
  }[];
};

describe('hybrid search over manual pages', () => {
  it.each(QUESTIONS)('answers "%s" with %s first', async (question, expected) => {
    const hits = await search(question);
    expect(
      matches(hits[0]!.documentName, expected),
      `${question}: ${hits.map((x) => `${x.documentName} t${x.textRank} v${x.vectorRank}`).join(', ')}`,
    ).toBe(true);
  });

  it('explains every hit: both legs, fused score, heading path, offsets and a highlighted snippet', async () => {
    const hits = await search('how do I copy a directory with its contents', 10);
    const top = hits[0]!;
    expect(top.textRank).toEqual(expect.any(Number));
    expect(top.vectorRank).toEqual(expect.any(Number));
    // Weighted reciprocal rank fusion of the two legs' document ranks.
    expect(top.score).toBeCloseTo(
      TEXT_WEIGHT / (RRF_K + top.textRank!) + VECTOR_WEIGHT / (RRF_K + top.vectorRank!),
      10,
    );
    // Documents are ranked: each appears once, with its best chunk.
    expect(new Set(hits.map((hit) => hit.documentName)).size).toBe(hits.length);
    expect(top.headingPath.length).toBeGreaterThan(0);
    expect(top.charEnd).toBeGreaterThan(top.charStart);
    expect(top.snippet).toMatch(/<b>[^<]+<\/b>/);
    // Offsets point into the original text.
    const [cp] = await readManPages(['cp.1']);
    expect(cp!.text.slice(top.charStart, top.charEnd)).toBe(top.content);
    // Hits found by one leg only say so.
    for (const hit of hits) expect(hit.textRank !== null || hit.vectorRank !== null).toBe(true);
    expect(hits.every((hit, i) => i === 0 || hits[i - 1]!.score >= hit.score)).toBe(true);
  });

  it('finds more with OR-ed words than with all words required (recall measured)', async () => {
    let strictFound = 0;
    let orFound = 0;
    let hybridTop1 = 0;
    for (const [question, expected] of QUESTIONS) {
      const ranks = await withActor(h.deps.db, { userId: user.userId }, async (tx) => {
        const names = async (documentIds: string[]) => {
          const rows = await tx.execute<{ id: string; name: string }>(
            sql`select id, name from knowledge.kb_documents where id = any(${`{${documentIds.join(',')}}`}::uuid[])`,
          );
          const byId = new Map(rows.map((r) => [r.id, r.name]));
          return documentIds.map((id) => byId.get(id));
        };
        const options = { language: 'english', query: question, collectionIds: [collectionId] };
        const strict = await allWordsChunks(tx, { ...options, limit: 50 });
        const or = await textLeg(tx, { ...options, filter: sql``, limit: 5 });
        return {
          strict: (await names([...new Set(strict.map((hit) => hit.documentId))])).slice(0, 5),
          or: await names(or.map((hit) => hit.documentId)),
        };
      });
      if (ranks.strict.some((name) => matches(name, expected))) strictFound++;
      if (ranks.or.some((name) => matches(name, expected))) orFound++;
      if (matches((await search(question, 1))[0]?.documentName, expected)) hybridTop1++;
    }
    console.log(
      `recall@5 over ${QUESTIONS.length} questions: all words (AND) ${strictFound}, any word (OR) ${orFound}; hybrid first: ${hybridTop1}`,
    );
    expect(orFound).toBeGreaterThanOrEqual(strictFound);
    expect(hybridTop1).toBe(QUESTIONS.length);
  });

  it('accepts any string as a query, operators and quotes included', async () => {
    for (const q of [
      '"unterminated',
      'a & | ! ( <-> :*',
      "it's",
      '--',
      '((((',
      'the of and',
      '日本語',
      "'; drop table x; --",
    ]) {
      const res = await h.app.inject({
        method: 'GET',
        url: `/v1/kb/collections/${collectionId}/search?q=${encodeURIComponent(q)}`,
        headers: bearer(user.token),
      });
      expect(res.statusCode, q).toBe(200);
    }
    // Nothing to look for is nothing found, not every chunk tied at a score of 0.
    expect(await search('the of and', 10)).toEqual([]);
  });

  it('filters by document metadata (JSONB containment) and rejects a filter that is not an object', async () => {
    const hits = await search(
      'configuration file options',
      10,
      `&filter=${encodeURIComponent('{"section":"5"}')}`,
    );
    expect(hits.length).toBeGreaterThan(0);
    expect(new Set(hits.map((hit) => hit.documentName))).toEqual(
      new Set(
        hits.map((hit) => hit.documentName).filter((name) => ['ssh_config(5)', 'crontab(5)'].includes(name)),
      ),
    );
    const bad = await h.app.inject({
      method: 'GET',
      url: `/v1/kb/collections/${collectionId}/search?q=x&filter=${encodeURIComponent('[1,2')}`,
      headers: bearer(user.token),
    });
    expect(bad.statusCode).toBe(400);
  });

  it('fills k from one long document: its passages that hold a word of the question, best first', async () => {
    const handbook = await createCollection(h, user.token, {
      name: 'handbook',
      settings: { chunkSize: 60, chunkOverlap: 0 },
    });
    const filler = (topic: string) =>
      Array.from({ length: 6 }, (_, i) => `Paragraph ${i + 1} about ${topic} is kept short and plain.`).join(
        ' ',
      );
    const text = [
      '# Staff handbook',
      '## Holidays',
      `Every employee has twenty-five days of paid holiday a year. ${filler('leave')}`,
      '## Travel',
      `Book train travel in second class; holiday travel is never refunded. ${filler('trains')}`,
      '## Equipment',
      `Laptops are replaced every three years. ${filler('laptops')}`,
      '## Security',
      `Badges must be worn in the building at all times. ${filler('badges')}`,
    ].join('\n\n');
    const document = await addText(h, user.token, handbook.id, { name: 'staff-handbook', text });
    await waitForDocument(h, user.token, handbook.id, document.id, ['indexed']);
    const ask = async (q: string, k: number) =>
      (
        await h.app.inject({
          method: 'GET',
          url: `/v1/kb/collections/${handbook.id}/search?q=${encodeURIComponent(q)}&k=${k}`,
          headers: bearer(user.token),
        })
      ).json().hits as {
        chunkId: string;
        documentName: string;
        headingPath: string[];
        content: string;
        score: number;
      }[];

    const hits = await ask('how many days of paid holiday do I get', 5);
    // Only the Holidays section (two chunks under that heading) and the travel rules (which
    // mention holiday travel) hold a word of the question: three passages, not five.
    expect(hits.map((hit) => hit.headingPath.at(-1))).toEqual(['Holidays', 'Holidays', 'Travel']);
    expect(hits[0]!.content).toMatch(/twenty-five days of paid holiday/);
    expect(hits[2]!.content).toMatch(/holiday travel/);
    expect(new Set(hits.map((hit) => hit.chunkId)).size).toBe(hits.length);
    expect(hits.every((hit) => hit.documentName === 'staff-handbook')).toBe(true);
    expect(hits.every((hit, i) => i === 0 || hits[i - 1]!.score > hit.score)).toBe(true);
    // k is a limit: asked for one, the best passage alone.
    expect((await ask('how many days of paid holiday do I get', 1)).map((hit) => hit.chunkId)).toEqual([
      hits[0]!.chunkId,
    ]);
    // Many documents found: one passage each, as before.
    const spread = await search('how do I copy a directory with its contents', 5);
    expect(new Set(spread.map((hit) => hit.documentName)).size).toBe(5);
  });

  it('searches several collections at once', async () => {
    const other = await createCollection(h, user.token, { name: 'notes' });
    await addText(h, user.token, other.id, {
      name: 'backup-notes',
      text: 'To copy a directory with its contents to the backup disk, we use rsync nightly.',
    });
    await expect
      .poll(
        async () => {
          const res = await h.app.inject({
            method: 'GET',
            url: `/v1/kb/search?q=${encodeURIComponent('copy a directory to the backup disk')}&collectionIds=${collectionId},${other.id}`,
            headers: bearer(user.token),
          });
          return res.json().hits?.[0]?.documentName;
        },
        { timeout: 10_000 },
      )
      .toBe('backup-notes');
  });
});
