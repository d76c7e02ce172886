import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { readManPages } from '@conduit/knowledge-base/test/fixtures/manpages.js';
import { localServices } from '@conduit/testing';
import postgres from 'postgres';
import { bareFullText, indexChunkWords } from './harness/bare-full-text.js';
import { type BenchUser, registerBenchUser } from './harness/bench-user.js';
import { freePort, startChildService } from './harness/child-service.js';
import { deferCleanup } from './harness/cleanup.js';
import { type CpuCost, measureCpuCost } from './harness/cpu-cost.js';
import { startIsolatedStack } from './harness/isolated-stack.js';
import { startKnowledgeBaseProcesses } from './harness/knowledge-base-processes.js';
import { latencySummary } from './harness/latency.js';
import { formatNumber, formatRatio, machine, markdownTable, round, writeResults } from './harness/report.js';
import { baselineTree, corpusPath, numberSetting } from './harness/settings.js';
import { QUESTIONS } from './knowledge-base.js';

// Knowledge base in a shared database: the manual-page corpus indexed four times over, in four
// users' collections, as `pnpm start` runs the cluster (identity, the knowledge-base server and its
// worker, the gateway: processes of their own with their defaults). One tenant's copy is indexed
// through the gateway first; two more are copied from it in SQL (what other users' collections
// would hold) and analyzed, as autovacuum long since would have; then the measured tenant indexes
// the corpus through the gateway and asks its questions at once ("first queries": nothing has
// analyzed the new rows but the service itself), then in rounds. Next to it in the same run:
// the same search straight to the knowledge-base service (the gateway's hop), and bare SQL
// full-text queries over the measured collection's chunks as the database owner (the floor).

type Page = { name: string; section: string; text: string };

export async function knowledgeBaseTenantsScenario(): Promise<void> {
  const rounds = numberSetting('KB_BENCH_ROUNDS', 10);
  const copies = numberSetting('KB_TENANT_COPIES', 2);
  const stack = await startIsolatedStack({ gateway: false });
  const { busNamespace: namespace, databaseUrl } = stack;
  // What pnpm start gives every process, with the logs at warn as every scenario runs them.
  const shared = {
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    LOG_PRETTY: 'false',
    OTEL_EXPORTER_OTLP_ENDPOINT: '',
    REDIS_URL: localServices.redisUrl,
    NATS_URL: localServices.natsUrl,
    BUS_NAMESPACE: namespace,
    REDIS_KEY_PREFIX: `${namespace}:`,
    DATABASE_URL: databaseUrl,
    IDENTITY_URL: stack.identity.url,
  };
  const knowledge = await startKnowledgeBaseProcesses(shared);
  const gatewayPort = await freePort();
  const gateway = await startChildService({
    name: 'gateway',
    entry: new URL('../services/gateway/src/server.ts', import.meta.url).pathname,
    cwd: new URL('../services/gateway/', import.meta.url).pathname,
    port: gatewayPort,
    readyPath: '/health/live',
    env: {
      ...shared,
      GATEWAY_PORT: String(gatewayPort),
      GATEWAY_HOST: '127.0.0.1',
      KNOWLEDGE_BASE_URL: knowledge.url,
      RATE_LIMIT_MAX: '1000000000',
      AUTH_RATE_LIMIT_MAX: '1000000000',
    },
  });
  // The knowledge-base server of another checkout (BENCH_BASELINE_TREE) on the same database, asked
  // straight in the same rounds: the service's before / after under the same load.
  const tree = baselineTree();
  const baseline = tree
    ? await stack.startService({
        service: 'knowledge-base',
        tree,
        name: 'baseline-knowledge-base',
        env: shared,
      })
    : undefined;
  const admin = postgres(databaseUrl, { max: 2, onnotice: () => {} });
  deferCleanup(() => admin.end({ timeout: 5 }));

  async function indexTenants() {
    const pages = await readManPages(undefined, corpusPath);
    const first = await registerBenchUser(gateway.url);
    console.error(`tenant 1 indexes ${pages.length} pages through the gateway...`);
    const firstCollection = await createCollection(gateway.url, first, 'man pages');
    const firstIndexing = await indexCorpus(gateway.url, first, firstCollection, pages, admin);
    console.error(`  ${formatNumber(firstIndexing.chunksPerSecond)} chunks/s; ${copies} copies in SQL...`);
    for (let i = 0; i < copies; i++) {
      const user = await registerBenchUser(gateway.url);
      await copyCollection(admin, firstCollection, await createCollection(gateway.url, user, 'man pages'));
    }
    await admin`analyze knowledge.kb_documents, knowledge.kb_chunks, knowledge.kb_terms`;

    const tenant = await registerBenchUser(gateway.url);
    console.error('the measured tenant indexes the corpus through the gateway...');
    const collectionId = await createCollection(gateway.url, tenant, 'man pages');
    const indexing = await indexCorpus(gateway.url, tenant, collectionId, pages, admin);
    return { tenant, collectionId, indexing: { empty: firstIndexing, besideOthers: indexing } };
  }

  // On a database kept by an earlier run (BENCH_DATABASE): its last collection, searched by a new
  // user given it, with nothing indexed (the first queries are then this run's processes' first).
  const measured = process.env.BENCH_DATABASE
    ? await adoptLastCollection(admin, await registerBenchUser(gateway.url))
    : await indexTenants();
  const { tenant, collectionId } = measured;

  const [{ chunks, tenantChunks }] = (await admin`
    select (select count(*)::int from knowledge.kb_chunks) as chunks,
           (select count(*)::int from knowledge.kb_chunks where collection_id = ${collectionId}) as "tenantChunks"`) as unknown as [
    { chunks: number; tenantChunks: number },
  ];

  const search = (base: string) => async (q: string) => {
    const response = await fetch(
      `${base}/v1/kb/collections/${collectionId}/search?q=${encodeURIComponent(q)}&k=5`,
      { headers: { authorization: `Bearer ${tenant.accessToken}` } },
    );
    const text = await response.text();
    if (response.status !== 200) throw new Error(`search answered ${response.status}: ${text.slice(0, 300)}`);
    return (JSON.parse(text).hits as { documentName: string }[]).map((hit) => pageOf(hit.documentName));
  };
  const viaGateway = search(gateway.url);
  const direct = search(knowledge.url);
  const baselineDirect = baseline ? search(baseline.url) : undefined;
  const bare = (q: string, any: boolean) => bareFullText(admin, q, { any, collectionId });
  const timed = async (samples: number[], run: () => Promise<unknown>) => {
    const t = performance.now();
    const result = await run();
    samples.push(performance.now() - t);
    return result;
  };

  // The first queries: right after the last document is indexed, before anything else.
  const firstQueries: number[] = [];
  const answers = { top1: 0, top5: 0 };
  for (const [q, expected] of QUESTIONS) {
    const names = (await timed(firstQueries, () => viaGateway(q))) as (string | undefined)[];
    if (names[0] === expected) answers.top1++;
    if (names.includes(expected)) answers.top5++;
  }
  await indexChunkWords(admin);
  // Then rounds, the contenders taking turns question by question. The first to ask a question
  // reads its pages into Postgres's buffers for those after it (the bare OR query of the question
  // before evicts many), so the gateway and the service ask first in turn, round by round.
  const gatewayMs: number[] = [];
  const directMs: number[] = [];
  const bareAnd: number[] = [];
  const bareOr: number[] = [];
  const baselineMs: number[] = [];
  for (let round = 0; round < rounds; round++)
    for (const [q] of QUESTIONS) {
      const services = [() => timed(gatewayMs, () => viaGateway(q)), () => timed(directMs, () => direct(q))];
      if (baselineDirect) services.push(() => timed(baselineMs, () => baselineDirect(q)));
      // Each asks first in turn.
      const first = round % services.length;
      for (const ask of [...services.slice(first), ...services.slice(0, first)]) await ask();
      await timed(bareAnd, () => bare(q, false));
      await timed(bareOr, () => bare(q, true));
    }

  // CPU per search of every process that serves one (from /proc; the database's backends together),
  // a round of the questions through the gateway, then one straight to the service.
  const database = new URL(databaseUrl).pathname.slice(1);
  const processes: Record<string, number> = { gateway: gateway.pid, 'knowledge-base': knowledge.pid };
  const cpuOf = (ask: (q: string) => Promise<unknown>, of = processes) =>
    measureCpuCost(admin, database, of, async () => {
      for (let round = 0; round < 3; round++) for (const [q] of QUESTIONS) await ask(q);
      return 3 * QUESTIONS.length;
    });
  const gatewayCpu = await cpuOf(viaGateway);
  const directCpu = await cpuOf(direct);
  const baselineCpu =
    baseline && baselineDirect ? await cpuOf(baselineDirect, { 'knowledge-base': baseline.pid }) : undefined;

  const f = latencySummary(firstQueries);
  const g = latencySummary(gatewayMs);
  // The goal's figure (issue 17): every query through the gateway, the first ones with the rest.
  const all = latencySummary([...firstQueries, ...gatewayMs]);
  const d = latencySummary(directMs);
  const a = latencySummary(bareAnd);
  const o = latencySummary(bareOr);
  const b = baseline ? latencySummary(baselineMs) : undefined;
  const [{ collections }] = (await admin`
    select count(*)::int as collections from knowledge.kb_collections`) as unknown as [
    { collections: number },
  ];
  console.log(
    `\n### Knowledge base, ${collections} tenants: ${formatNumber(chunks)} chunks in all, ${formatNumber(tenantChunks)} in the searched collection\n`,
  );
  const ms = (s: { p50: number; p95: number; p99: number; max: number }) => [
    formatNumber(s.p50),
    formatNumber(s.p95),
    formatNumber(s.p99),
    formatNumber(s.max),
  ];
  console.log(
    markdownTable(
      ['search, ms', 'p50', 'p95', 'p99', 'max', 'p95 vs bare AND'],
      [
        [`first ${QUESTIONS.length} queries after indexing, gateway`, ...ms(f), formatRatio(f.p95 / a.p95)],
        [`gateway (${g.n})`, ...ms(g), formatRatio(g.p95 / a.p95)],
        [`gateway, first queries included (${all.n})`, ...ms(all), formatRatio(all.p95 / a.p95)],
        [`knowledge-base direct (${d.n})`, ...ms(d), formatRatio(d.p95 / a.p95)],
        ...(b
          ? [[`baseline tree's knowledge-base direct (${b.n})`, ...ms(b), formatRatio(b.p95 / a.p95)]]
          : []),
        ['bare SQL, all words (AND)', ...ms(a), formatRatio(1)],
        ['bare SQL, any word (OR)', ...ms(o), formatRatio(o.p95 / a.p95)],
      ],
    ),
  );
  const { indexing } = measured as { indexing?: { empty: Indexed; besideOthers: Indexed } };
  console.log(
    (indexing
      ? `\nIndexing through the gateway and the worker: ${formatNumber(indexing.empty.chunksPerSecond)} chunks/s into an empty database, ` +
        `${formatNumber(indexing.besideOthers.chunksPerSecond)} chunks/s beside ${collections - 1} other copies. `
      : `\nNothing indexed: the collections of ${process.env.BENCH_DATABASE}. `) +
      `Answer found (${QUESTIONS.length} questions, first queries): first ${answers.top1}, top 5 ${answers.top5}. ` +
      `The first queries one by one, ms: ${firstQueries.map((latency) => formatNumber(latency)).join(', ')}.`,
  );
  const cpuRow = (name: string, cost: CpuCost) => {
    const ms = cost.perOperationMs;
    const total = Object.values(ms).reduce((sum, value) => sum + value, 0);
    return [
      name,
      ...['gateway', 'knowledge-base', 'postgres'].map((key) => formatNumber(ms[key] ?? 0)),
      formatNumber(total),
      formatNumber(cost.transactionsPerOperation),
    ];
  };
  console.log(
    `\n${markdownTable(
      ['CPU ms per search', 'gateway', 'knowledge-base', 'postgres', 'all', 'transactions'],
      [
        cpuRow('through the gateway', gatewayCpu),
        cpuRow('straight to the service', directCpu),
        ...(baselineCpu ? [cpuRow("straight to the baseline tree's service", baselineCpu)] : []),
      ],
    )}`,
  );
  if (b)
    console.log(
      `\nThis tree / the baseline tree, straight to the service: p50 ${formatRatio(d.p50 / b.p50)}, p95 ${formatRatio(d.p95 / b.p95)}.`,
    );
  const file = await writeResults('knowledge-base-tenants', {
    machine: machine(),
    collections,
    chunks,
    tenantChunks,
    indexing: indexing ?? null,
    searchMs: Object.fromEntries(
      Object.entries({
        first: f,
        gateway: g,
        gatewayFirstIncluded: all,
        direct: d,
        bareAnd: a,
        bareOr: o,
        ...(b ? { baselineDirect: b } : {}),
      }).map(([key, s]) => [
        key,
        { p50: round(s.p50), p95: round(s.p95), p99: round(s.p99), max: round(s.max), samples: s.n },
      ]),
    ),
    answers: { questions: QUESTIONS.length, ...answers },
    // One by one, in the order asked: which of the first queries are slow says why.
    firstQueriesMs: firstQueries.map((latency) => round(latency)),
    cpuMsPerSearch: {
      gateway: gatewayCpu.perOperationMs,
      direct: directCpu.perOperationMs,
      ...(baselineCpu ? { baselineDirect: baselineCpu.perOperationMs } : {}),
    },
  });
  console.error(`results: ${file}`);
}

const pageOf = (name: string | undefined) => name?.replace(/\(\d+\)$/, '');

async function createCollection(base: string, user: BenchUser, name: string): Promise<string> {
  const response = await fetch(`${base}/v1/kb/collections`, {
    method: 'POST',
    headers: { authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  const body = (await response.json()) as { id?: string };
  if (response.status !== 201 || !body.id) throw new Error(`create collection answered ${response.status}`);
  return body.id;
}

type Indexed = Awaited<ReturnType<typeof indexCorpus>>;

/**
 * The last collection created in the database, given to `user` (its owner before is left as it
 * was everywhere else): a kept database's measured tenant, searched again.
 */
async function adoptLastCollection(admin: postgres.Sql, user: BenchUser) {
  const [me] = await admin<{ id: string }[]>`
    select id from identity.users where email = ${user.email}`;
  const [collection] = await admin<{ id: string }[]>`
    update knowledge.kb_collections set owner_user_id = ${me!.id}
    where id = (select id from knowledge.kb_collections order by created_at desc limit 1) returning id`;
  if (!collection) throw new Error(`${process.env.BENCH_DATABASE} holds no collection`);
  return { tenant: user, collectionId: collection.id };
}

/** Uploads every page (4 at a time) and waits until the worker has indexed them all; chunks/s. */
async function indexCorpus(
  base: string,
  user: BenchUser,
  collectionId: string,
  pages: Page[],
  admin: postgres.Sql,
) {
  const started = performance.now();
  let next = 0;
  const upload = async () => {
    for (let page = pages[next++]; page; page = pages[next++]) {
      const response = await fetch(`${base}/v1/kb/collections/${collectionId}/documents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          name: `${page.name}(${page.section})`,
          text: page.text,
          metadata: { section: page.section },
        }),
      });
      const text = await response.text();
      if (response.status !== 201 && response.status !== 200)
        throw new Error(`upload answered ${response.status}: ${text.slice(0, 300)}`);
    }
  };
  await Promise.all([upload(), upload(), upload(), upload()]);
  const distinct = new Set(pages.map((page) => page.text)).size;
  for (;;) {
    const [row] = await admin<{ done: number }[]>`
      select count(*) filter (where status in ('indexed', 'failed'))::int as done
      from knowledge.kb_documents where collection_id = ${collectionId}`;
    if (row!.done >= distinct) break;
    await sleep(100);
  }
  const seconds = (performance.now() - started) / 1000;
  const [{ chunks }] = (await admin`
    select count(*)::int as chunks from knowledge.kb_chunks where collection_id = ${collectionId}`) as unknown as [
    { chunks: number },
  ];
  return { seconds: round(seconds, 1), chunks, chunksPerSecond: round(chunks / seconds, 1) };
}

/**
 * Another user's copy of a collection, written in SQL as the owner: its documents, chunks and
 * terms under new ids (what the search reads; originals are left out).
 */
async function copyCollection(admin: postgres.Sql, from: string, to: string): Promise<void> {
  await admin.begin(async (tx) => {
    await tx`create temporary table copied on commit drop as
             select id as old_id, gen_random_uuid() as new_id from knowledge.kb_documents where collection_id = ${from}`;
    await tx`
      insert into knowledge.kb_documents (id, collection_id, name, media_type, size_bytes, content_hash, status,
        attempts, revision, chunk_count, name_terms, lead_terms, body_terms, embedding, metadata, created_by, indexed_at)
      select m.new_id, c.id, d.name, d.media_type, d.size_bytes, d.content_hash, d.status, d.attempts, d.revision,
             d.chunk_count, d.name_terms, d.lead_terms, d.body_terms, d.embedding, d.metadata, c.owner_user_id, d.indexed_at
      from knowledge.kb_documents d join copied m on m.old_id = d.id, knowledge.kb_collections c where c.id = ${to}`;
    await tx`
      insert into knowledge.kb_chunks (id, collection_id, document_id, ordinal, content, heading_path, char_start,
        char_end, token_count, tsv, embedding)
      select gen_random_uuid(), ${to}, m.new_id, k.ordinal, k.content, k.heading_path, k.char_start, k.char_end,
             k.token_count, k.tsv, k.embedding
      from knowledge.kb_chunks k join copied m on m.old_id = k.document_id`;
    await tx`
      insert into knowledge.kb_terms
        (collection_id, lexeme, document_id, name_tf, lead_tf, body_tf, name_terms, lead_terms, body_terms)
      select ${to}, t.lexeme, m.new_id, t.name_tf, t.lead_tf, t.body_tf, t.name_terms, t.lead_terms, t.body_terms
      from knowledge.kb_terms t join copied m on m.old_id = t.document_id`;
  });
}
