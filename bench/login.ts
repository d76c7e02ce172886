import { loadEnv as loadIdentityEnv } from '@conduit/identity/src/env.js';
import argon2 from 'argon2';
import { expectOk, registerBenchUser } from './harness/bench-user.js';
import { startIsolatedStack } from './harness/isolated-stack.js';
import { compareInRounds, httpContender, sampleAsync } from './harness/measure.js';
import { formatNumber, formatRatio, machine, markdownTable, round, writeResults } from './harness/report.js';
import { numberSetting, roundSettings } from './harness/settings.js';

const operations = {
  hash: 'argon2.hash (raw, in-process)',
  verify: 'argon2.verify (raw, in-process)',
  login: '`POST /v1/auth/login` (identity, direct)',
} as const;

/**
 * Scenario (b): how close a password login comes to the cost of the argon2 work inside it.
 * Logins/s straight to identity against raw `argon2.verify` (the work a login must do) and
 * `argon2.hash` per second in this process, at the same concurrency and with the argon2
 * parameters identity uses by default (read from identity's own env schema and handed to it, so
 * both sides use the same ones whatever the environment says). Identity sits idle while the raw
 * figures are taken.
 */
export async function loginScenario(): Promise<void> {
  const settings = { concurrency: numberSetting('BENCH_LOGIN_CONCURRENCY', 8), ...roundSettings() };
  const defaults = loadIdentityEnv({});
  const argon = {
    memoryKib: defaults.ARGON2_MEMORY_KIB,
    iterations: defaults.ARGON2_ITERATIONS,
    parallelism: defaults.ARGON2_PARALLELISM,
    identityHashConcurrency: defaults.HASH_CONCURRENCY,
    threadPool: Number(process.env.UV_THREADPOOL_SIZE ?? 4),
  };
  const options = {
    type: argon2.argon2id as 2,
    memoryCost: argon.memoryKib,
    timeCost: argon.iterations,
    parallelism: argon.parallelism,
  };
  const password = 'correct horse battery staple';
  const hash = await argon2.hash(password, options);
  const verify = async () => {
    if (!(await argon2.verify(hash, password))) throw new Error('argon2.verify said no');
  };

  const stack = await startIsolatedStack({
    gateway: false,
    identityEnv: {
      ARGON2_MEMORY_KIB: String(argon.memoryKib),
      ARGON2_ITERATIONS: String(argon.iterations),
      ARGON2_PARALLELISM: String(argon.parallelism),
      HASH_CONCURRENCY: String(argon.identityHashConcurrency),
    },
  });
  const user = await registerBenchUser(stack.identity.url);
  const login = {
    url: `${stack.identity.url}/v1/auth/login`,
    method: 'POST' as const,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: user.email, password: user.password }),
    connections: settings.concurrency,
  };
  await expectOk(login.url, login);

  const { concurrency } = settings;
  const measured = await compareInRounds(
    {
      hash: (seconds) => sampleAsync(() => argon2.hash(password, options), concurrency, seconds),
      verify: (seconds) => sampleAsync(verify, concurrency, seconds),
      login: httpContender(login),
    },
    settings,
    (message) => console.error(`login: ${message}`),
  );
  await stack.stop();

  const verifyRate = measured.verify.perSecond;
  const hashRate = measured.hash.perSecond;
  const rows = (Object.keys(operations) as (keyof typeof operations)[]).map((key) => ({
    key,
    label: operations[key],
    m: measured[key],
  }));
  const results = rows.map(({ key, label, m }) => ({
    operation: key,
    label: label.replace(/`/g, ''),
    perSecond: round(m.perSecond, 2),
    p50Ms: round(m.p50Ms),
    p99Ms: round(m.p99Ms),
    vsVerify: round(m.perSecond / verifyRate),
    vsHash: round(m.perSecond / hashRate),
    operations: m.operations,
    non2xx: m.non2xx,
    errors: m.errors,
    seconds: round(m.seconds, 2),
  }));

  const table = markdownTable(
    ['Operation', 'per second', 'p50 ms', 'p99 ms', 'vs argon2.verify', 'vs argon2.hash', 'non-2xx / errors'],
    rows.map(({ label, m }) => [
      label,
      formatNumber(m.perSecond),
      formatNumber(m.p50Ms),
      formatNumber(m.p99Ms),
      formatRatio(m.perSecond / verifyRate),
      formatRatio(m.perSecond / hashRate),
      `${m.non2xx} / ${m.errors}`,
    ]),
  );
  const file = await writeResults('login', { settings, argon2: argon, results });
  console.log(
    `\n### login: logins/s vs. raw argon2\n\n` +
      `argon2id ${argon.memoryKib} KiB, ${argon.iterations} iterations, parallelism ${argon.parallelism}; ` +
      `concurrency ${settings.concurrency}; ${settings.seconds} s per operation in ${settings.rounds} rounds ` +
      `after a ${settings.warmupSeconds} s warm-up; ${machine().cpus} CPUs (load average ${machine().loadAverage}), ` +
      `${process.version}; libuv pool ${argon.threadPool}, identity HASH_CONCURRENCY ${argon.identityHashConcurrency}.\n\n` +
      `${table}\n\n(${file})\n`,
  );
}
