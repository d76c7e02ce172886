import { performance } from 'node:perf_hooks';
import { LocalEmbedder } from '@conduit/knowledge-base/src/domain/embeddings/local-embedder.js';
import { loadEnv } from '@conduit/knowledge-base/src/env.js';
import { knowledgeService, migrationsDir, SCHEMA } from '@conduit/knowledge-base/src/service.js';
import { createTokenMint } from '@conduit/knowledge-base/test/fixtures/knowledge-harness.js';
import { readManPages } from '@conduit/knowledge-base/test/fixtures/manpages.js';
import { startHttp, startWorkerProcess } from '@conduit/runtime';
import { createLogger } from '@conduit/service-kit';
import {
  createTestDatabase,
  deleteRedisKeys,
  localServices,
  testBusNamespace,
  testRedisPrefix,
} from '@conduit/testing';
import { connect } from 'nats';
import postgres from 'postgres';
import { bareFullText, indexChunkWords } from './harness/bare-full-text.js';
import { deferCleanup } from './harness/cleanup.js';
import { type CpuCost, measureCpuCost } from './harness/cpu-cost.js';
import { latencySummary as summary } from './harness/latency.js';
import { formatNumber, formatRatio, machine, markdownTable, round, writeResults } from './harness/report.js';
import { corpusPath, numberSetting } from './harness/settings.js';

// Knowledge base: index the manual-page corpus through the service (API -> queue -> worker:
// extract, chunk, embed, store) and time hybrid searches through the API, each next to bare SQL
// over the same chunks in the same run: to_tsvector over the chunk texts for indexing, a
// full-text query ranked by ts_rank_cd for search. The ratio is what the service adds.

export const QUESTIONS: [string, string][] = [
  ['how do I copy a directory with its contents', 'cp'],
  ['which file configures per-host ssh options', 'ssh_config'],
  ['how do I record my changes to the repository', 'git-commit'],
  ['how to extract files from a tar archive', 'tar'],
  ['how can I change the permissions of a file', 'chmod'],
  ['how do I change the owner and group of a file', 'chown'],
  ['how much free disk space is left on each file system', 'df'],
  ['make a symbolic link to a file', 'ln'],
  ['how do I remove a directory and everything inside it', 'rm'],
  ['how do I push my local branch to a remote repository', 'git-push'],
  ['search files for lines matching a pattern', 'grep'],
  ['rename a file', 'mv'],
  ['schedule a command to run every night', 'crontab'],
  ['show the processes that use the most memory', 'top'],
  ['count the lines in a file', 'wc'],
  ['compare two files line by line', 'diff'],
];

export async function knowledgeBaseScenario(): Promise<void> {
  const documents = numberSetting('KB_BENCH_DOCS', 0); // 0 = the whole corpus
  const rounds = numberSetting('KB_BENCH_ROUNDS', 10);

  const database = await createTestDatabase([{ schema: SCHEMA, migrationsDir }]);
  // BENCH_KEEP_DATABASE=1 leaves the database behind (its name is printed) to study its plans.
  deferCleanup(async () => {
    if (process.env.BENCH_KEEP_DATABASE !== '1') return database.drop();
    console.error(`keeping database ${new URL(database.adminUrl).pathname.slice(1)}`);
  });
  const namespace = testBusNamespace();
  const redisPrefix = testRedisPrefix();
  deferCleanup(async () => {
    const nc = await connect({ servers: localServices.natsUrl });
    const jsm = await nc.jetstreamManager();
    await jsm.streams.delete(`${namespace.toUpperCase()}_KNOWLEDGE`).catch(() => {});
    await nc.close();
    await deleteRedisKeys(redisPrefix);
  });
  const env = loadEnv({
    NODE_ENV: 'test',
    DATABASE_URL: database.adminUrl,
    REDIS_URL: localServices.redisUrl,
    NATS_URL: localServices.natsUrl,
    BUS_NAMESPACE: namespace,
    REDIS_KEY_PREFIX: redisPrefix,
    // The service's defaults unless the run sets them (to compare batch sizes and concurrency).
    INDEX_CONCURRENCY: process.env.INDEX_CONCURRENCY,
    INDEX_BATCH_DOCUMENTS: process.env.INDEX_BATCH_DOCUMENTS,
    LOG_LEVEL: 'warn',
  });
  const log = createLogger({ service: 'kb-bench', level: 'warn' });
  const tokens = await createTokenMint();
  const { app } = await startHttp(knowledgeService, { env, log, overrides: { verifier: tokens.verifier } });
  deferCleanup(() => app.close());
  // KB_BENCH_BACKLOG=1: every document is uploaded with the worker stopped, then the worker drains
  // the queue; the uploads' CPU (per document) and the worker's (per chunk, in full batches) apart.
  const backlog = process.env.KB_BENCH_BACKLOG === '1';
  const startWorker = () => startWorkerProcess(knowledgeService, { env, log });
  let worker = backlog ? undefined : await startWorker();
  deferCleanup(async () => worker?.close());
  const admin = postgres(database.adminUrl, { max: 2, onnotice: () => {} });
  deferCleanup(() => admin.end({ timeout: 5 }));
  // Reads the CPU figures on a connection of its own (left out of them), apart from admin's work.
  const monitor = postgres(database.adminUrl, { max: 1, onnotice: () => {} });
  deferCleanup(() => monitor.end({ timeout: 5 }));
  const { token } = await tokens.mint();
  const headers = { authorization: `Bearer ${token}` };

  const created = await app.inject({
    method: 'POST',
    url: '/v1/kb/collections',
    headers,
    payload: { name: 'man pages' },
  });
  const collectionId = created.json().id as string;
  const pages = await readManPages(undefined, corpusPath);
  const corpus = documents > 0 ? pages.slice(0, documents) : pages;
  const bytes = corpus.reduce((sum, page) => sum + Buffer.byteLength(page.text), 0);
  console.error(`indexing ${corpus.length} pages (${formatNumber(bytes / 2 ** 20)} MiB of text)...`);

  // Indexing: from the first upload to the last document indexed. Its CPU per chunk (this process
  // runs the uploads, the server and the worker; the database's backends apart) does not move
  // with outside load as chunks/s does.
  const databaseName = new URL(database.adminUrl).pathname.slice(1);
  const upload = async () => {
    for (const page of corpus)
      await expectStatus(
        app.inject({
          method: 'POST',
          url: `/v1/kb/collections/${collectionId}/documents`,
          headers,
          payload: {
            name: `${page.name}(${page.section})`,
            text: page.text,
            metadata: { section: page.section },
          },
        }),
        [200, 201],
      );
  };
  /** Waits for the last document to be indexed; answers the chunks stored. */
  const indexed = async () => {
    for (;;) {
      const [row] = await admin`select count(*) filter (where status in ('indexed', 'failed'))::int as done
                                from knowledge.kb_documents`;
      if (row!.done >= corpus.length - duplicates(corpus)) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const [row] = await admin<{ chunks: number }[]>`select count(*)::int as chunks from knowledge.kb_chunks`;
    return row!.chunks;
  };
  let indexingSeconds = 0;
  let uploads: { seconds: number; cost: CpuCost } | undefined;
  let indexingCost: CpuCost;
  if (backlog) {
    let seconds = 0;
    const cost = await measureCpuCost(monitor, databaseName, { 'bench + server': process.pid }, async () => {
      const started = performance.now();
      await upload();
      seconds = (performance.now() - started) / 1000;
      return corpus.length;
    });
    uploads = { seconds, cost };
    // The worker's start (its connections) is in the drain's time; its CPU is a few ms.
    indexingCost = await measureCpuCost(monitor, databaseName, { worker: process.pid }, async () => {
      const started = performance.now();
      worker = await startWorker();
      const stored = await indexed();
      indexingSeconds = (performance.now() - started) / 1000;
      return stored;
    });
  } else
    indexingCost = await measureCpuCost(
      monitor,
      databaseName,
      { 'bench + server + worker': process.pid },
      async () => {
        const started = performance.now();
        await upload();
        const stored = await indexed();
        indexingSeconds = (performance.now() - started) / 1000;
        return stored;
      },
    );
  const [{ chunks, failed }] = (await admin`
    select (select count(*)::int from knowledge.kb_chunks) as chunks,
           (select count(*)::int from knowledge.kb_documents where status = 'failed') as failed`) as unknown as [
    { chunks: number; failed: number },
  ];
  // Bare SQL: the text search vectors of the same chunks, nothing else.
  await admin`create table bench_chunk_text as select content from knowledge.kb_chunks`;
  let bareIndexSeconds = 0;
  const bareCost = await measureCpuCost(monitor, databaseName, {}, async () => {
    const bareStarted = performance.now();
    await admin`create table bench_chunk_tsv as select to_tsvector('english', content) as tsv from bench_chunk_text`;
    bareIndexSeconds = (performance.now() - bareStarted) / 1000;
    return chunks;
  });
  await admin`create index on bench_chunk_tsv using gin (tsv)`;
  // The built-in embedder alone, over the same chunks as the indexer gives them to it (the
  // document's name and the chunk's headings, then its text): what embedding costs of indexing.
  const inputs = (
    await admin<{ input: string }[]>`
      select d.name || E'\n' || array_to_string(c.heading_path, ' / ') || E'\n' || c.content as input
      from knowledge.kb_chunks c join knowledge.kb_documents d on d.id = c.document_id`
  ).map((row) => row.input);
  const embedder = new LocalEmbedder();
  const embedStarted = performance.now();
  for (let i = 0; i < inputs.length; i += 500) await embedder.embed(inputs.slice(i, i + 500));
  const embedderRate = inputs.length / ((performance.now() - embedStarted) / 1000);
  await indexChunkWords(admin);
  // Statistics as autovacuum would soon gather them after a bulk load, for both contenders.
  await admin`analyze knowledge.kb_documents, knowledge.kb_chunks, knowledge.kb_terms, bench_chunk_tsv`;

  // Search: the same questions through the API (hybrid) and as bare SQL over the same chunks.
  const hybrid: number[] = [];
  const bareAnd: number[] = [];
  const bareOr: number[] = [];
  const rank = { hybridTop1: 0, hybridTop5: 0, andTop5: 0, orTop5: 0 };
  const search = (q: string) =>
    app.inject({
      method: 'GET',
      url: `/v1/kb/collections/${collectionId}/search?q=${encodeURIComponent(q)}&k=5`,
      headers,
    });
  const bare = (q: string, any: boolean) => bareFullText(admin, q, { any });
  const pageOf = (name: string | undefined) => name?.replace(/\(\d+\)$/, '');
  for (const [q] of QUESTIONS) await Promise.all([search(q), bare(q, false), bare(q, true)]); // warm-up
  for (let round = 0; round < rounds; round++) {
    for (const [q, expected] of QUESTIONS) {
      let t = performance.now();
      const res = await search(q);
      hybrid.push(performance.now() - t);
      t = performance.now();
      const and = await bare(q, false);
      bareAnd.push(performance.now() - t);
      t = performance.now();
      const or = await bare(q, true);
      bareOr.push(performance.now() - t);
      if (round === 0) {
        const names = (res.json().hits as { documentName: string }[]).map((hit) => pageOf(hit.documentName));
        if (names[0] === expected) rank.hybridTop1++;
        if (names.includes(expected)) rank.hybridTop5++;
        if (and.some((row) => pageOf(row.name) === expected)) rank.andTop5++;
        if (or.some((row) => pageOf(row.name) === expected)) rank.orTop5++;
      }
    }
  }
  const h = summary(hybrid);
  const a = summary(bareAnd);
  const o = summary(bareOr);
  const indexRate = chunks / indexingSeconds;
  const bareRate = chunks / bareIndexSeconds;

  console.log(
    `\n### Knowledge base: ${corpus.length} pages, ${chunks} chunks (${failed} failed documents)\n`,
  );
  console.log(
    markdownTable(
      ['', 'service', 'bare SQL', 'ratio'],
      [
        [
          'indexing, chunks/s',
          formatNumber(indexRate),
          formatNumber(bareRate),
          formatRatio(bareRate / indexRate),
        ],
        [
          'embedder alone (local, in process), chunks/s',
          formatNumber(embedderRate),
          '',
          formatRatio(embedderRate / indexRate),
        ],
        [
          'search p50, ms (bare: AND / OR)',
          formatNumber(h.p50),
          `${formatNumber(a.p50)} / ${formatNumber(o.p50)}`,
          formatRatio(h.p50 / o.p50),
        ],
        [
          'search p95, ms',
          formatNumber(h.p95),
          `${formatNumber(a.p95)} / ${formatNumber(o.p95)}`,
          formatRatio(h.p95 / o.p95),
        ],
        [
          'search p99, ms',
          formatNumber(h.p99),
          `${formatNumber(a.p99)} / ${formatNumber(o.p99)}`,
          formatRatio(h.p99 / o.p99),
        ],
      ],
    ),
  );
  if (uploads)
    console.log(
      `\nBacklog: ${corpus.length} uploads with the worker stopped, ${formatNumber(corpus.length / uploads.seconds)}/s, ` +
        `CPU per document, ms: ${costLine(uploads.cost, 'document')}; then the worker drained them ` +
        `(the indexing row above).`,
    );
  console.log(
    `\nCPU per chunk while indexing, ms: ${costLine(indexingCost, 'chunk')}; bare SQL to_tsvector: ${costLine(bareCost, 'chunk')}.`,
  );
  console.log(
    `\nAnswer found (${QUESTIONS.length} questions): hybrid first ${rank.hybridTop1}, hybrid top 5 ${rank.hybridTop5}; ` +
      `bare full text top 5: all words (AND) ${rank.andTop5}, any word (OR) ${rank.orTop5}.`,
  );
  const file = await writeResults('knowledge-base', {
    machine: machine(),
    pages: corpus.length,
    textMiB: round(bytes / 2 ** 20, 1),
    chunks,
    failedDocuments: failed,
    indexing: {
      seconds: round(indexingSeconds, 1),
      chunksPerSecond: round(indexRate, 1),
      bareSqlChunksPerSecond: round(bareRate, 1),
      embedderAloneChunksPerSecond: round(embedderRate, 1),
      backlog,
      ...(uploads && {
        uploadsPerSecond: round(corpus.length / uploads.seconds, 1),
        uploadCpuMsPerDocument: uploads.cost.perOperationMs,
        uploadTransactionsPerDocument: uploads.cost.transactionsPerOperation,
      }),
      cpuMsPerChunk: indexingCost.perOperationMs,
      transactionsPerChunk: indexingCost.transactionsPerOperation,
      bareSqlCpuMsPerChunk: bareCost.perOperationMs,
    },
    searchMs: {
      hybrid: { p50: round(h.p50), p95: round(h.p95), p99: round(h.p99), samples: h.n },
      bareAnd: { p50: round(a.p50), p95: round(a.p95), p99: round(a.p99) },
      bareOr: { p50: round(o.p50), p95: round(o.p95), p99: round(o.p99) },
    },
    answers: { questions: QUESTIONS.length, ...rank },
  });
  console.error(`results: ${file}`);
}

/** Each process's CPU ms per operation, and the database's transactions per operation. */
function costLine(cost: CpuCost, per: string): string {
  const each = Object.entries(cost.perOperationMs).map(([name, ms]) => `${name} ${ms.toFixed(3)}`);
  return `${each.join(', ')} (${cost.transactionsPerOperation.toFixed(3)} transactions per ${per})`;
}

/** Pages whose text repeats another's are stored once (same content hash). */
function duplicates(pages: { text: string }[]): number {
  return pages.length - new Set(pages.map((page) => page.text)).size;
}

async function expectStatus(response: Promise<{ statusCode: number; body: string }>, ok: number[]) {
  const res = await response;
  if (!ok.includes(res.statusCode)) throw new Error(`answered ${res.statusCode}: ${res.body}`);
}
