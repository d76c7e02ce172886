import { loadEnv as loadIdentityEnv } from '@conduit/identity/src/env.js';
import argon2 from 'argon2';
import { expectOk, registerBenchUser } from './harness/bench-user.js';
import { startIsolatedStack } from './harness/isolated-stack.js';
import { type Measurement, measureAsync, measureHttp } from './harness/measure.js';
import { formatNumber, formatRatio, machine, markdownTable, round, writeResults } from './harness/report.js';
import { numberSetting } from './harness/settings.js';

/**
 * Scenario (b): how close a password login comes to the cost of the argon2 work inside it.
 * Logins/s straight to identity, against raw `argon2.verify` (what a login does) and
 * `argon2.hash` per second in this process, all at the same concurrency and with the argon2
 * parameters identity uses by default (read from identity's own env schema and handed to it, so
 * that both sides use the same ones even if the environment says otherwise).
 */
export async function loginScenario(): Promise<void> {
  const settings = {
    concurrency: 8,
    seconds: numberSetting('BENCH_SECONDS', 10),
    warmupSeconds: numberSetting('BENCH_WARMUP_SECONDS', 3),
  };
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
  const rows: { operation: string; measurement: Measurement }[] = [];

  // The raw figures first, while nothing else runs on the machine.
  const password = 'correct horse battery staple';
  const hash = await argon2.hash(password, options);
  console.error('login: raw argon2.hash...');
  rows.push({
    operation: 'argon2.hash (raw, in-process)',
    measurement: await measureAsync(() => argon2.hash(password, options), settings),
  });
  console.error('login: raw argon2.verify...');
  const verify = async () => {
    if (!(await argon2.verify(hash, password))) throw new Error('argon2.verify said no');
  };
  rows.push({
    operation: 'argon2.verify (raw, in-process)',
    measurement: await measureAsync(verify, settings),
  });

  const stack = await startIsolatedStack({
    gateway: false,
    identityEnv: {
      ARGON2_MEMORY_KIB: String(argon.memoryKib),
      ARGON2_ITERATIONS: String(argon.iterations),
      ARGON2_PARALLELISM: String(argon.parallelism),
      HASH_CONCURRENCY: String(argon.identityHashConcurrency),
    },
  });
  try {
    const user = await registerBenchUser(stack.identity.url);
    const url = `${stack.identity.url}/v1/auth/login`;
    const headers = { 'content-type': 'application/json' };
    const body = JSON.stringify({ email: user.email, password: user.password });
    await expectOk(url, { method: 'POST', headers, body });
    console.error('login: POST /v1/auth/login on identity...');
    const measurement = await measureHttp({
      url,
      method: 'POST',
      headers,
      body,
      connections: settings.concurrency,
      seconds: settings.seconds,
      warmupSeconds: settings.warmupSeconds,
    });
    rows.push({ operation: '`POST /v1/auth/login` (identity, direct)', measurement });
  } finally {
    await stack.stop();
  }

  const verifyRate = rows[1]!.measurement.perSecond;
  const hashRate = rows[0]!.measurement.perSecond;
  const results = rows.map(({ operation, measurement: m }) => ({
    operation: operation.replace(/`/g, ''),
    perSecond: round(m.perSecond, 2),
    p50Ms: round(m.p50Ms),
    p99Ms: round(m.p99Ms),
    vsVerify: round(m.perSecond / verifyRate),
    vsHash: round(m.perSecond / hashRate),
    operations: m.operations,
    non2xx: m.non2xx,
    errors: m.errors,
    seconds: m.seconds,
  }));

  const table = markdownTable(
    ['Operation', 'per second', 'p50 ms', 'p99 ms', 'vs argon2.verify', 'vs argon2.hash', 'non-2xx / errors'],
    rows.map(({ operation, measurement: m }) => [
      operation,
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
      `concurrency ${settings.concurrency}, ${settings.seconds} s each after a ${settings.warmupSeconds} s warm-up, ` +
      `${machine().cpus} CPUs (load average ${machine().loadAverage}), ${process.version} (libuv pool ${argon.threadPool}, identity HASH_CONCURRENCY ${argon.identityHashConcurrency}).\n\n` +
      `${table}\n\n(${file})\n`,
  );
}
