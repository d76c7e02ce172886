import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addText,
  bearer,
  createCollection,
  type KnowledgeHarness,
  startKnowledgeHarness,
  waitForDocument,
} from '../fixtures/knowledge-harness.js';
import { readManPages } from '../fixtures/manpages.js';

// Hybrid search over a larger slice of the corpus: the pages that answer a few plain questions
// plus about 200 others drawn at random (fixed seed; see fixtures/README.md), so that many pages compete for each question's
// words (the whole corpus is measured by `pnpm bench knowledge-base-eval`).
const QUESTIONS: [question: string, expected: string][] = [
  ['how do I copy a directory with its contents', 'cp(1)'],
  ['which file configures per-host ssh options', 'ssh_config(5)'],
  ['how do I change the owner and group of a file', 'chown(1)'],
  ['find files by name recursively', 'find(1)'],
  ['generate a new ssh key pair', 'ssh-keygen(1)'],
  ['sort the lines of a text file alphabetically', 'sort(1)'],
  ['print the current date and time', 'date(1)'],
  ['compress a file with gzip', 'gzip(1)'],
];
const EXPECTED = ['cp.1', 'ssh_config.5', 'chown.1', 'find.1', 'ssh-keygen.1', 'sort.1', 'date.1', 'gzip.1'];
// Pages close to the expected ones, so that the slice is not too easy.
const NEIGHBOURS = ['mv.1', 'rm.1', 'ssh.1', 'chmod.1', 'chgrp.1', 'ls.1', 'uniq.1', 'bzip2.1', 'tar.1'];

let h: KnowledgeHarness;
let user: { token: string; userId: string };
let collectionId: string;

beforeAll(async () => {
  // The other search tests run on pgvector where it is installed; these answer by the plain path
  // (the text leg's documents rescored by exact dot products) everywhere.
  h = await startKnowledgeHarness({ withoutPgvector: true });
  user = await h.tokens.mint();
  collectionId = (await createCollection(h, user.token, { name: 'man pages slice' })).id;
  const picked = await readManPages();
  expect(picked.map((page) => page.id)).toEqual(expect.arrayContaining([...EXPECTED, ...NEIGHBOURS]));
  expect(picked.length).toBeGreaterThan(200);
  const texts = new Set<string>();
  const documents = [];
  for (const page of picked) {
    if (texts.has(page.text)) continue; // same content, stored once
    texts.add(page.text);
    documents.push(
      await addText(h, user.token, collectionId, {
        name: `${page.name}(${page.section})`,
        text: page.text,
        metadata: { section: page.section },
      }),
    );
  }
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
  await h.admin`analyze knowledge.kb_documents, knowledge.kb_chunks, knowledge.kb_terms`;
}, 120_000);
afterAll(async () => {
  await h?.close();
}, 30_000);

describe('hybrid search over the 228 manual pages of the sample', () => {
  it.each(QUESTIONS)('answers "%s" with %s first', async (question, expected) => {
    const res = await h.app.inject({
      method: 'GET',
      url: `/v1/kb/collections/${collectionId}/search?q=${encodeURIComponent(question)}&k=5`,
      headers: bearer(user.token),
    });
    expect(res.statusCode, res.body).toBe(200);
    const hits = res.json().hits as {
      documentName: string;
      textRank: number | null;
      vectorRank: number | null;
    }[];
    expect(
      hits[0]?.documentName,
      `${question}: ${hits.map((x) => `${x.documentName} t${x.textRank} v${x.vectorRank}`).join(', ')}`,
    ).toBe(expected);
  });
});

describe('after the bulk load', () => {
  it('the worker has vacuumed the postings: a word is read from the index alone, no table page per posting', async () => {
    // Autovacuum would count as `autovacuum_count`; the worker's own vacuum is a manual one.
    await expect
      .poll(
        async () => {
          const [row] = await h.admin<{ vacuums: number }[]>`
            select vacuum_count::int as vacuums from pg_stat_user_tables
            where schemaname = 'knowledge' and relname = 'kb_terms'`;
          return row?.vacuums ?? 0;
        },
        { timeout: 20_000, interval: 250 },
      )
      .toBeGreaterThan(0);
    const [explained] = await h.admin.unsafe<{ 'QUERY PLAN': PlanNode[] }[]>(
      `explain (analyze, format json)
       select document_id, name_tf, lead_tf, body_tf from knowledge.kb_terms
       where collection_id = $1 and lexeme = any($2::text[])`,
      [collectionId, ['file', 'copi', 'directori']],
    );
    const scan = findNode(explained!['QUERY PLAN'][0]!.Plan, (node) => node['Relation Name'] === 'kb_terms');
    expect(scan?.['Node Type']).toBe('Index Only Scan');
    expect(scan?.['Actual Rows']).toBeGreaterThan(100);
    expect(scan?.['Heap Fetches']).toBe(0);
  });
});

type PlanNode = { Plan: Plan };
type Plan = {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Rows'?: number;
  'Heap Fetches'?: number;
  Plans?: Plan[];
};

function findNode(plan: Plan, matches: (node: Plan) => boolean): Plan | undefined {
  if (matches(plan)) return plan;
  for (const child of plan.Plans ?? []) {
    const found = findNode(child, matches);
    if (found) return found;
  }
  return undefined;
}
