import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startHttp } from '@conduit/runtime';
import { createLogger } from '@conduit/service-kit';
import {
  createTestDatabase,
  createTokenMint,
  deleteRedisKeys,
  localServices,
  type MailUser,
  startDovecot,
  startSmtpServer,
  type TestDovecot,
  testBusNamespace,
  testRedisPrefix,
} from '@conduit/testing';
import postgres from 'postgres';
// The service is loaded by path (not as a package dependency of the bench): only its definition
// is needed, to create accounts through its own API in this process.
import { loadEnv } from '../services/email-sync/src/env.js';
import { mailService, migrationsDir, SCHEMA } from '../services/email-sync/src/service.js';
import { deferCleanup } from './harness/cleanup.js';
import { formatNumber, formatRatio, machine, markdownTable, round, writeResults } from './harness/report.js';
import { numberSetting } from './harness/settings.js';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../', import.meta.url));
const generator = process.env.BENCH_MAIL_GENERATOR ?? join(repoRoot, '../shared/mail/gen-maildir.py');

/**
 * Scenario: the email service against the mail tools people already trust.
 * (1) First sync of a generated Inbox (BENCH_MAIL_MESSAGES, 10,000 by default: about 54 MB) from
 *     a Dovecot started here, by the service's worker (a process of its own) into Postgres, next to
 *     `mbsync` pulling the same Inbox into a local Maildir, in the same run: BENCH_FIRST_SYNC_RUNS
 *     (3) of each, taking turns (mbsync first in one round, email-sync in the next), so both see
 *     the machine as it is then. Each of email-sync's is a real first sync: a new account on the
 *     same mailbox, the previous one deleted with its rows and its table vacuumed.
 * (2) Delivery to `email.message.received` in the outbox while the worker IDLEs on the Inbox:
 *     p50 and p99 over BENCH_MAIL_DELIVERIES messages, delivered one at a time.
 * (3) Memory of the worker per connected idle account, with BENCH_MAIL_ACCOUNTS (200) accounts.
 */
export async function emailScenario(): Promise<void> {
  const settings = {
    messages: numberSetting('BENCH_MAIL_MESSAGES', 10_000),
    firstSyncRuns: Math.max(1, Math.round(numberSetting('BENCH_FIRST_SYNC_RUNS', 3))),
    deliveries: numberSetting('BENCH_MAIL_DELIVERIES', 50),
    accounts: numberSetting('BENCH_MAIL_ACCOUNTS', 200),
    // 0: leave Dovecot's caches cold, so the first run of each tool pays for building them.
    warmDovecot: numberSetting('BENCH_WARM_DOVECOT', 1) !== 0,
  };
  const alice: MailUser = { user: 'alice@example.test', password: 'bench-alice' };
  const idlers: MailUser[] = Array.from({ length: settings.accounts }, (_, i) => ({
    user: `idle${i}@example.test`,
    password: `bench-idle-${i}`,
  }));
  const dovecot = await startDovecot({ users: [alice, ...idlers] });
  deferCleanup(() => dovecot.stop());
  // Accounts are verified against an SMTP server too; nothing is sent in this scenario.
  const smtp = await startSmtpServer();
  deferCleanup(() => smtp.stop());

  console.log(`generating ${formatNumber(settings.messages)} messages`);
  const inbox = dovecot.maildir(alice.user);
  await run('python3', [generator, String(settings.messages), inbox], { maxBuffer: 1 << 20 });
  await dovecot.ownMaildir(alice.user);
  // Dovecot indexes the Maildir on first access, and caches envelopes and body structures the
  // first time they are asked for: both now, so no contender's first run pays for them (mbsync
  // asks for neither; email-sync asks for both, so the cold case costs it more: BENCH_WARM_DOVECOT=0).
  if (settings.warmDovecot) await warmDovecot(dovecot, alice.user, settings.messages);

  const database = await createTestDatabase([{ schema: SCHEMA, migrationsDir }]);
  deferCleanup(() => database.drop());
  const admin = postgres(database.adminUrl, { max: 2, onnotice: () => {} });
  deferCleanup(() => admin.end({ timeout: 5 }));
  const namespace = testBusNamespace();
  const redisPrefix = testRedisPrefix();
  deferCleanup(() => deleteRedisKeys(redisPrefix));
  const childEnv: Record<string, string> = {
    NODE_ENV: 'test',
    DATABASE_URL: database.adminUrl,
    REDIS_URL: localServices.redisUrl,
    NATS_URL: localServices.natsUrl,
    BUS_NAMESPACE: namespace,
    REDIS_KEY_PREFIX: redisPrefix,
    MAIL_ALLOWED_HOSTS: '127.0.0.1',
    MAIL_ALLOW_INSECURE: 'true',
    SYNC_EVERY: '1h',
    LOG_LEVEL: 'warn',
  };
  const env = loadEnv(childEnv);
  const tokens = await createTokenMint(['email.read', 'email.write', 'email.send']);
  const http = await startHttp(mailService, {
    env,
    log: createLogger({ service: 'bench-email', level: 'warn' }),
    overrides: { verifier: tokens.verifier },
  });
  deferCleanup(() => http.close());
  const worker = startWorker(childEnv);
  deferCleanup(() => worker.stop());
  // The sync is timed from the account's POST: a worker still starting (loading its TypeScript
  // took 3 to 7 s on a loaded machine, past a fixed 3 s wait) would add its start-up to the sync.
  await until(async () => (await http.deps.jobs.queue.getWorkersCount()) > 0, 120_000);
  await sleep(1000);

  const { headers } = await tokens.mint();
  const connect = async (user: MailUser) => {
    const res = await http.app.inject({
      method: 'POST',
      url: '/v1/mail/accounts',
      headers,
      payload: {
        emailAddress: user.user,
        imap: { host: dovecot.host, port: dovecot.imapPort, security: 'none' },
        smtp: { host: smtp.host, port: smtp.port, security: 'none' },
        password: user.password,
      },
    });
    if (res.statusCode !== 201) throw new Error(`account for ${user.user}: ${res.statusCode} ${res.body}`);
    return (res.json() as { id: string }).id;
  };

  // (1) First sync, timed from the account's creation to the last message of the Inbox stored
  // (envelope, flags, size, attachments and source: what mbsync's Maildir holds), then to the last
  // one indexed by the pass that follows (bodies, snippet, full-text vector: searchable). CPU
  // seconds of the worker and of the database's backends up to "stored" are counted too: unlike
  // wall time, they do not grow with what else the machine runs.
  const countRows = async (accountId: string, unindexedOnly: boolean) => {
    const [row] = await admin<{ n: number }[]>`
      select count(*)::int as n from email.email_messages
      where account_id = ${accountId} and (not ${unindexedOnly} or indexed_at is null)`;
    return row!.n;
  };
  const backendCpu = async () => {
    const rows = await admin<{ pid: number }[]>`
      select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`;
    return new Map(rows.map(({ pid }) => [pid, cpuSecondsOf(pid)]));
  };
  const emailFirstSync = async (): Promise<EmailRun> => {
    const workerBefore = cpuSecondsOf(worker.pid);
    const backendsBefore = await backendCpu();
    const started = performance.now();
    const accountId = await connect(alice);
    await until(async () => (await countRows(accountId, false)) >= settings.messages, 30 * 60_000);
    const stored = (performance.now() - started) / 1000;
    const workerCpu = cpuSecondsOf(worker.pid) - workerBefore;
    let postgresCpu = 0;
    for (const [pid, now] of await backendCpu()) postgresCpu += now - (backendsBefore.get(pid) ?? 0);
    await until(async () => (await countRows(accountId, true)) === 0, 30 * 60_000);
    const searchable = (performance.now() - started) / 1000;
    return { accountId, stored, searchable, workerCpu, postgresCpu };
  };
  // Nothing of a run is left for the next: the account goes with its folders and messages, the
  // worker finishes what it was doing for it, and the table is vacuumed (its dead rows would be
  // autovacuum's work in the middle of the next run).
  const forget = async (accountId: string) => {
    const res = await http.app.inject({ method: 'DELETE', url: `/v1/mail/accounts/${accountId}`, headers });
    if (res.statusCode !== 204)
      throw new Error(`deleting account ${accountId}: ${res.statusCode} ${res.body}`);
    await until(async () => (await http.deps.jobs.queue.getActiveCount()) === 0, 60_000);
    await admin`vacuum analyze email.email_messages`;
  };
  const emailRuns: EmailRun[] = [];
  const mbsyncRuns: MbsyncRun[] = [];
  const order: string[] = [];
  for (let round = 0; round < settings.firstSyncRuns; round++) {
    const turns = [
      async () => {
        mbsyncRuns.push(await mbsyncPull(dovecot.imapPort, alice));
        order.push('mbsync');
      },
      async () => {
        if (emailRuns.length > 0) await forget(emailRuns.at(-1)!.accountId);
        emailRuns.push(await emailFirstSync());
        order.push('email-sync');
      },
    ];
    for (const turn of round % 2 === 0 ? turns : turns.reverse()) await turn();
  }
  const accountId = emailRuns.at(-1)!.accountId;
  const syncSeconds = emailRuns.map((r) => r.stored);
  const searchableSeconds = emailRuns.map((r) => r.searchable);
  const mbsyncSeconds = mbsyncRuns.map((r) => r.seconds);

  // (2) Delivery to event while IDLE.
  await until(async () => {
    const [row] = await admin`select sync_state from email.user_email_accounts where id = ${accountId}`;
    return row?.sync_state === 'idle';
  }, 60_000);
  await sleep(2000);
  const latencies: number[] = [];
  for (let i = 0; i < settings.deliveries; i++) {
    const raw = `From: bench@example.org\r\nTo: ${alice.user}\r\nSubject: idle ${i}\r\nMessage-ID: <idle-${i}-${Date.now()}@example.org>\r\n\r\nhello\r\n`;
    const { uid } = await dovecot.deliver(alice.user, raw);
    const deliveredAt = Date.now();
    const at = await until(async () => {
      const [row] = await admin<{ at: Date }[]>`
        select created_at as at from email.outbox
        where subject = 'email.message.received' and (payload->'data'->>'uid')::int = ${uid}
          and payload->'data'->>'accountId' = ${accountId}`;
      return row?.at;
    }, 60_000);
    latencies.push(at.getTime() - deliveredAt);
    await sleep(200);
  }

  // (3) Memory per connected idle account.
  const rssBefore = rssOf(worker.pid);
  for (const user of idlers) await connect(user);
  await until(async () => {
    const [row] = await admin<{ n: number }[]>`
      select count(*)::int as n from email.user_email_accounts where sync_state = 'idle'`;
    return row!.n >= settings.accounts + 1;
  }, 10 * 60_000);
  await sleep(5000);
  const rssAfter = rssOf(worker.pid);
  const perAccountKiB = (rssAfter - rssBefore) / settings.accounts;

  const best = (values: number[]) => Math.min(...values);
  const seconds = (values: number[]) => values.map((v) => round(v));
  const results = {
    settings,
    machine: machine(),
    firstSync: {
      order,
      serviceSeconds: seconds(syncSeconds),
      searchableSeconds: seconds(searchableSeconds),
      mbsyncSeconds: seconds(mbsyncSeconds),
      bestRatio: round(best(syncSeconds) / best(mbsyncSeconds)),
      medianRatio: round(median(syncSeconds) / median(mbsyncSeconds)),
      searchableBestRatio: round(best(searchableSeconds) / best(mbsyncSeconds)),
      cpuSecondsToStored: {
        worker: seconds(emailRuns.map((r) => r.workerCpu)),
        postgres: seconds(emailRuns.map((r) => r.postgresCpu)),
        mbsync: seconds(mbsyncRuns.map((r) => r.cpu)),
      },
    },
    idleLatencyMs: {
      p50: percentile(latencies, 0.5),
      p99: percentile(latencies, 0.99),
      samples: latencies.length,
    },
    memory: {
      workerRssKiBBefore: rssBefore,
      workerRssKiBAfter: rssAfter,
      perIdleAccountKiB: round(perAccountKiB, 1),
    },
  };
  console.log(
    markdownTable(
      ['measure', 'email-sync', 'mbsync', 'ratio'],
      [
        [
          `first sync, ${formatNumber(settings.messages)} messages stored (s; ratio of bests, of medians)`,
          list(syncSeconds),
          list(mbsyncSeconds),
          `${formatRatio(results.firstSync.bestRatio)}, ${formatRatio(results.firstSync.medianRatio)}`,
        ],
        [
          `first sync, ${formatNumber(settings.messages)} messages searchable (s; ratio of bests)`,
          list(searchableSeconds),
          '',
          formatRatio(results.firstSync.searchableBestRatio),
        ],
        [
          'first sync to stored, CPU s (email-sync: worker + Postgres backends)',
          emailRuns.map((r) => `${r.workerCpu.toFixed(1)} + ${r.postgresCpu.toFixed(1)}`).join(' / '),
          list(mbsyncRuns.map((r) => r.cpu)),
          '',
        ],
        ['delivery → email.message.received, p50 (ms)', String(results.idleLatencyMs.p50), '', ''],
        ['delivery → email.message.received, p99 (ms)', String(results.idleLatencyMs.p99), '', ''],
        [
          `worker memory per idle account, ${settings.accounts} accounts (KiB)`,
          perAccountKiB.toFixed(0),
          '',
          '',
        ],
      ],
    ),
  );
  console.log(`first sync runs in order: ${order.join(', ')}`);
  console.log(`results: ${await writeResults('email', results)}`);
}

interface EmailRun {
  accountId: string;
  /** Seconds from the account's creation to its last message stored, then indexed. */
  stored: number;
  searchable: number;
  /** CPU seconds up to "stored": the worker's, and the database backends' of the run. */
  workerCpu: number;
  postgresCpu: number;
}

interface MbsyncRun {
  seconds: number;
  /** mbsync's own CPU seconds (user and system). */
  cpu: number;
}

const list = (values: number[]) => values.map((v) => v.toFixed(1)).join(' / ');

/** Has Dovecot index `user`'s Inbox and cache every message's envelope and body structure. */
async function warmDovecot(dovecot: TestDovecot, user: string, messages: number) {
  const warm = await dovecot.client(user);
  const lock = await warm.getMailboxLock('INBOX');
  const described = warm.fetch('1:*', {
    uid: true,
    flags: true,
    size: true,
    envelope: true,
    bodyStructure: true,
  });
  let warmed = 0;
  for await (const _message of described) warmed++;
  if (warmed < messages) throw new Error(`Dovecot listed ${warmed} of ${messages} messages`);
  lock.release();
  await warm.logout();
}

/** mbsync pulling the Inbox into a new local Maildir: its wall time and its CPU, in seconds. */
async function mbsyncPull(port: number, user: MailUser): Promise<MbsyncRun> {
  const dir = join(tmpdir(), `bench-mbsync-${process.pid}-${Date.now()}`);
  mkdirSync(join(dir, 'local'), { recursive: true });
  deferCleanup(async () => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, 'mbsyncrc'),
    [
      'IMAPAccount bench',
      'Host 127.0.0.1',
      `Port ${port}`,
      `User ${user.user}`,
      `Pass ${user.password}`,
      'SSLType None',
      'AuthMechs LOGIN',
      '',
      'IMAPStore remote',
      'Account bench',
      '',
      'MaildirStore local',
      `Path ${dir}/local/`,
      `Inbox ${dir}/local/INBOX`,
      '',
      'Channel inbox',
      'Far :remote:INBOX',
      'Near :local:INBOX',
      'Create Near',
      'Sync Pull',
      'SyncState *',
      '',
    ].join('\n'),
  );
  const times = join(dir, 'times');
  const started = performance.now();
  await run(
    '/usr/bin/time',
    ['-f', '%U %S', '-o', times, 'mbsync', '-c', join(dir, 'mbsyncrc'), '-q', 'inbox'],
    {
      maxBuffer: 1 << 20,
    },
  );
  const seconds = (performance.now() - started) / 1000;
  const [userCpu, systemCpu] = readFileSync(times, 'utf8').trim().split(/\s+/).map(Number);
  rmSync(dir, { recursive: true, force: true });
  return { seconds, cpu: (userCpu ?? 0) + (systemCpu ?? 0) };
}

/** The service's worker entry point as a process of its own (its memory is measured alone). */
function startWorker(env: Record<string, string>): { pid: number; stop(): Promise<void> } {
  // BENCH_WORKER_CPU_PROF=<dir>: the worker writes a CPU profile there when it stops.
  const profile = process.env.BENCH_WORKER_CPU_PROF;
  const flags = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [];
  const child: ChildProcess = spawn(process.execPath, [...flags, '--import', 'tsx', 'src/worker.ts'], {
    cwd: join(repoRoot, 'services/email-sync'),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return {
    pid: child.pid!,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** CPU seconds (user and system) a process has used so far (Linux; 0 once it is gone). */
function cpuSecondsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime, fields 14 and 15 of stat(5), in clock ticks (100 a second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** Resident memory of a process, KiB (Linux). */
function rssOf(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0);
}

async function until<T>(check: () => Promise<T | undefined | null | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('the email benchmark timed out waiting');
    await sleep(50);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}
