import { performance } from 'node:perf_hooks';
import { withActor } from '@conduit/db';
import { allWordsChunks } from '@conduit/knowledge-base/src/domain/search/text-leg.js';
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
import { formatNumber, formatRatio, markdownTable, round, writeResults } from './harness/report.js';
import { corpusPath, numberSetting } from './harness/settings.js';

// Knowledge base, answer quality: plain questions a user would ask of the manual pages, asked of
// the WHOLE corpus indexed through the service, each with the page(s) that answer it. Reports
// top-1, top-5 and MRR (over the first 10 documents) for two searches, and their latency:
// - strict: full text with every word required (plainto_tsquery, ts_rank_cd), chunks -> pages;
// - hybrid: the service's search, through the API.
// The questions come in three sets: `tuning` (written first, used while choosing the ranking),
// `held-out` (written after the first ranking was chosen, then used to tune the second, BM25F)
// and `fresh` (written before BM25F was tried, never used to tune it). All are reported.
//
// `KB_EVAL_KEEP=1` keeps the indexed database (its name is printed); `KB_EVAL_DATABASE=<name>`
// then skips indexing and searches that database again (a minute saved per run).

type Question = [question: string, answers: string[]];

const TUNING: Question[] = [
  ['how do I copy a directory with its contents', ['cp(1)']],
  ['which file configures per-host ssh options', ['ssh_config(5)']],
  ['how do I record my changes to the repository', ['git-commit(1)']],
  ['how to extract files from a tar archive', ['tar(1)']],
  ['how can I change the permissions of a file', ['chmod(1)', 'chmod(2)']],
  ['how do I change the owner and group of a file', ['chown(1)']],
  ['how much free disk space is left on each file system', ['df(1)']],
  ['make a symbolic link to a file', ['ln(1)']],
  ['how do I remove a directory and everything inside it', ['rm(1)']],
  ['how do I push my local branch to a remote repository', ['git-push(1)']],
  ['search files for lines matching a pattern', ['grep(1)']],
  ['rename a file', ['mv(1)']],
  // cron(8) is the daemon that runs scheduled commands; its page leads to crontab.
  ['schedule a command to run every night', ['crontab(1)', 'crontab(5)', 'cron(8)']],
  ['show the processes that use the most memory', ['top(1)', 'ps(1)']],
  ['count the lines in a file', ['wc(1)']],
  ['compare two files line by line', ['diff(1)']],
  ['how do I show the differences between two commits', ['git-diff(1)']],
  ['find files by name recursively', ['find(1)']],
  ['list open network ports', ['ss(8)', 'netstat(8)', 'lsof(8)']],
  ['show disk usage of a folder', ['du(1)']],
];

/** Written after the ranking was chosen; not used to tune it. */
const HELD_OUT: Question[] = [
  ['stop a running process by its pid', ['kill(1)', 'pgrep(1)']],
  ['generate a new ssh key pair', ['ssh-keygen(1)']],
  ['copy a file to another machine over ssh', ['scp(1)']],
  ['sort the lines of a text file alphabetically', ['sort(1)']],
  ['remove duplicate lines from sorted output', ['uniq(1)']],
  ['show the last lines of a log file as it grows', ['tail(1)']],
  ['print the current date and time', ['date(1)']],
  ['change my login password', ['passwd(1)']],
  ['create a new user account', ['useradd(8)', 'adduser(8)']],
  ['mount a usb drive', ['mount(8)']],
  ['restart a systemd service', ['systemctl(1)']],
  ['view the system logs', ['journalctl(1)']],
  ['download a file from a url', ['curl(1)', 'wget(1)']],
  ['replace text in a file with a regular expression', ['sed(1)']],
  ['show the commit history', ['git-log(1)']],
  ['make a copy of a remote git repository', ['git-clone(1)']],
  ['temporarily save uncommitted changes', ['git-stash(1)']],
  ['compress a file with gzip', ['gzip(1)']],
  ['create an empty file or update its timestamp', ['touch(1)']],
  ['which file lists the file systems to mount at boot', ['fstab(5)']],
];

/** Written before the BM25F ranking was tried; never used to tune it. */
const FRESH: Question[] = [
  ['change the hostname of this machine', ['hostnamectl(1)', 'hostname(1)']],
  ['who is logged in right now', ['who(1)', 'w(1)', 'users(1)']],
  ['verify a downloaded file against its sha256 checksum', ['sha256sum(1)', 'cksum(1)']],
  ['split a big file into smaller pieces', ['split(1)']],
  ['print the first ten lines of a file', ['head(1)']],
  ['set the time zone of the system', ['timedatectl(1)']],
  ['show details about the processor', ['lscpu(1)']],
  ['list the disks and their partitions', ['lsblk(8)']],
  ['run a command but kill it if it takes too long', ['timeout(1)']],
  ['pause a shell script for a few seconds', ['sleep(1)']],
  ['how long has the server been up', ['uptime(1)']],
  ['format a partition as ext4', ['mke2fs(8)']],
  ['convert lowercase letters to uppercase', ['tr(1)']],
  ['undo the last commit', ['git-reset(1)', 'git-revert(1)']],
  ['switch to a different git branch', ['git-switch(1)', 'git-checkout(1)']],
  ['show kernel messages from boot', ['dmesg(1)']],
  ['run a command as another user', ['su(1)', 'runuser(1)']],
  ['check a file system for errors and repair it', ['fsck(8)', 'e2fsck(8)']],
  ['show how much memory is free', ['free(1)']],
  ['keep a command running after I log out', ['nohup(1)']],
  ['ignore build output files in git', ['gitignore(5)']],
  ['delete a user account', ['userdel(8)']],
  ['encode a file in base64', ['base64(1)']],
  ['apply a patch file to source code', ['patch(1)']],
  ['which groups does my user belong to', ['groups(1)', 'id(1)']],
  ['show the routing table', ['ip-route(8)', 'ip(8)']],
];

const percentile = (sorted: number[], q: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! : Number.NaN;
const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), p99: percentile(sorted, 0.99) };
};

type Method = 'strict' | 'hybrid';
const METHODS: [Method, string][] = [
  ['strict', 'strict all-words full text'],
  ['hybrid', 'hybrid (BM25F documents, weighted RRF)'],
];

export async function knowledgeBaseEvalScenario(): Promise<void> {
  const rounds = numberSetting('KB_EVAL_ROUNDS', 3);
  const reuse = process.env.KB_EVAL_DATABASE;
  const keep = process.env.KB_EVAL_KEEP === '1' || Boolean(reuse);

  let adminUrl: string;
  if (reuse) {
    const url = new URL(localServices.adminDatabaseUrl);
    url.pathname = `/${reuse}`;
    adminUrl = url.toString();
  } else {
    const database = await createTestDatabase([{ schema: SCHEMA, migrationsDir }]);
    if (!keep) deferCleanup(() => database.drop());
    adminUrl = database.adminUrl;
    console.error(`database: ${new URL(adminUrl).pathname.slice(1)}${keep ? ' (kept)' : ''}`);
  }
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
    DATABASE_URL: adminUrl,
    REDIS_URL: localServices.redisUrl,
    NATS_URL: localServices.natsUrl,
    BUS_NAMESPACE: namespace,
    REDIS_KEY_PREFIX: redisPrefix,
    INDEX_CONCURRENCY: '2',
    LOG_LEVEL: 'warn',
  });
  const log = createLogger({ service: 'kb-eval', level: 'warn' });
  const tokens = await createTokenMint();
  const { app, deps } = await startHttp(knowledgeService, {
    env,
    log,
    overrides: { verifier: tokens.verifier },
  });
  deferCleanup(() => app.close());
  const admin = postgres(adminUrl, { max: 2, onnotice: () => {} });
  deferCleanup(() => admin.end({ timeout: 5 }));

  let collectionId: string;
  let userId: string;
  if (reuse) {
    const [row] = await admin<{ id: string; owner_user_id: string }[]>`
      select id, owner_user_id from knowledge.kb_collections where name = 'man pages'`;
    if (!row) throw new Error(`no "man pages" collection in ${reuse}`);
    collectionId = row.id;
    userId = row.owner_user_id;
  } else {
    const worker = await startWorkerProcess(knowledgeService, { env, log });
    const stopWorker = deferCleanup(() => worker.close());
    const owner = await tokens.mint();
    userId = owner.userId;
    const headers = { authorization: `Bearer ${owner.token}` };
    const created = await app.inject({
      method: 'POST',
      url: '/v1/kb/collections',
      headers,
      payload: { name: 'man pages' },
    });
    collectionId = created.json().id as string;
    const pages = await readManPages(undefined, corpusPath);
    console.error(`indexing ${pages.length} pages...`);
    const started = performance.now();
    for (const page of pages) {
      const res = await app.inject({
        method: 'POST',
        url: `/v1/kb/collections/${collectionId}/documents`,
        headers,
        payload: {
          name: `${page.name}(${page.section})`,
          text: page.text,
          metadata: { section: page.section },
        },
      });
      if (![200, 201].includes(res.statusCode)) throw new Error(`answered ${res.statusCode}: ${res.body}`);
    }
    for (;;) {
      const [row] = await admin<{ left: number }[]>`
        select count(*) filter (where status in ('pending', 'indexing'))::int as left from knowledge.kb_documents`;
      if (row!.left === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    console.error(`indexed in ${Math.round((performance.now() - started) / 1000)} s`);
    await stopWorker();
    await admin`analyze knowledge.kb_documents, knowledge.kb_chunks, knowledge.kb_terms`;
  }
  await indexChunkWords(admin);
  const { token } = await tokens.mint({ userId });
  const [{ chunks, documents }] = (await admin`
    select (select count(*)::int from knowledge.kb_chunks) as chunks,
           (select count(*)::int from knowledge.kb_documents) as documents`) as unknown as [
    { chunks: number; documents: number },
  ];

  // Every expected page must be in the corpus, or the question measures nothing.
  const names = new Set(
    (await admin<{ name: string }[]>`select name from knowledge.kb_documents`).map((r) => r.name),
  );
  for (const [question, answers] of [...TUNING, ...HELD_OUT, ...FRESH])
    if (!answers.some((answer) => names.has(answer)))
      throw new Error(`"${question}": none of ${answers.join(', ')} is in the corpus`);

  const nameOf = async (chunkIds: string[]) => {
    if (chunkIds.length === 0) return [];
    const rows = await admin<{ id: string; name: string }[]>`
      select c.id, d.name from knowledge.kb_chunks c join knowledge.kb_documents d on d.id = c.document_id
      where c.id = any(${chunkIds}::uuid[])`;
    const byId = new Map(rows.map((r) => [r.id, r.name]));
    return [...new Set(chunkIds.map((id) => byId.get(id)!))];
  };
  const run: Record<Method, (q: string) => Promise<string[]>> = {
    strict: async (q) =>
      nameOf(
        (
          await withActor(deps.db, { userId }, (tx) =>
            allWordsChunks(tx, { language: 'english', query: q, collectionIds: [collectionId], limit: 50 }),
          )
        ).map((hit) => hit.chunkId),
      ),
    hybrid: async (q) => {
      const res = await app.inject({
        method: 'GET',
        url: `/v1/kb/collections/${collectionId}/search?q=${encodeURIComponent(q)}&k=10`,
        headers: { authorization: `Bearer ${token}` },
      });
      if (res.statusCode !== 200) throw new Error(`search answered ${res.statusCode}: ${res.body}`);
      return (res.json().hits as { documentName: string }[]).map((hit) => hit.documentName);
    },
  };
  const bare = (q: string, any: boolean) => bareFullText(admin, q, { any });

  const halves: [string, Question[]][] = [
    ['tuning', TUNING],
    ['held-out', HELD_OUT],
    ['fresh', FRESH],
  ];
  const quality: Record<string, Record<Method, { top1: number; top5: number; mrr: number; n: number }>> = {};
  const latency: Record<Method | 'bareAnd' | 'bareOr', number[]> = {
    strict: [],
    hybrid: [],
    bareAnd: [],
    bareOr: [],
  };
  const details: string[] = [];
  for (const [half, questions] of halves) {
    quality[half] = {} as Record<Method, { top1: number; top5: number; mrr: number; n: number }>;
    for (const [method] of METHODS) {
      const score = { top1: 0, top5: 0, mrr: 0, n: questions.length };
      for (const [question, answers] of questions) {
        const found = await run[method](question);
        const rank = found.findIndex((name) => answers.includes(name)) + 1;
        if (rank === 1) score.top1++;
        if (rank >= 1 && rank <= 5) score.top5++;
        if (rank >= 1 && rank <= 10) score.mrr += 1 / rank;
        if (method === 'hybrid')
          details.push(`${half} ${rank || '-'}\t${question} -> ${found.slice(0, 5).join(' ')}`);
      }
      score.mrr /= Math.max(1, questions.length);
      quality[half][method] = score;
    }
  }
  // Latency: every question, `rounds` times, each method in turn (after the warm-up above).
  const all = [...TUNING, ...HELD_OUT, ...FRESH].map(([q]) => q);
  for (let r = 0; r < rounds; r++)
    for (const q of all) {
      for (const [method] of METHODS) {
        const t = performance.now();
        await run[method](q);
        latency[method].push(performance.now() - t);
      }
      let t = performance.now();
      await bare(q, false);
      latency.bareAnd.push(performance.now() - t);
      t = performance.now();
      await bare(q, true);
      latency.bareOr.push(performance.now() - t);
    }

  console.log(`\n### Knowledge base answer quality: ${documents} pages, ${chunks} chunks\n`);
  const pct = (x: number, n: number) => `${x}/${n} (${Math.round((100 * x) / Math.max(1, n))}%)`;
  console.log(
    markdownTable(
      ['', ...halves.flatMap(([half, qs]) => [`${half} (${qs.length}) top-1`, 'top-5', 'MRR'])],
      METHODS.map(([method, label]) => [
        label,
        ...halves.flatMap(([half]) => {
          const s = quality[half]![method];
          return [pct(s.top1, s.n), pct(s.top5, s.n), s.mrr.toFixed(2)];
        }),
      ]),
    ),
  );
  const bareOr = summary(latency.bareOr);
  const rows = (['strict', 'hybrid', 'bareAnd', 'bareOr'] as const).map((key) => {
    const s = summary(latency[key]);
    const label = {
      strict: 'strict (allWordsChunks, in process)',
      hybrid: 'hybrid (API)',
      bareAnd: 'bare SQL, AND',
      bareOr: 'bare SQL, OR',
    }[key];
    return [
      label,
      formatNumber(s.p50),
      formatNumber(s.p95),
      formatNumber(s.p99),
      formatRatio(s.p50 / bareOr.p50),
    ];
  });
  console.log(`\nSearch latency, ms (${all.length} questions x ${rounds} rounds)\n`);
  console.log(markdownTable(['', 'p50', 'p95', 'p99', 'p50 vs bare OR'], rows));
  console.log(`\n${details.join('\n')}`);
  const file = await writeResults('knowledge-base-eval', {
    documents,
    chunks,
    quality,
    latencyMs: Object.fromEntries(
      Object.entries(latency).map(([key, values]) => {
        const s = summary(values);
        return [key, { p50: round(s.p50), p95: round(s.p95), p99: round(s.p99), samples: values.length }];
      }),
    ),
    details,
  });
  console.error(`results: ${file}`);
}
