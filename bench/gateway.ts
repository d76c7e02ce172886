import { fileURLToPath } from 'node:url';
import { expectOk, registerBenchUser } from './harness/bench-user.js';
import { freePort, startChildService } from './harness/child-service.js';
import { startIsolatedStack } from './harness/isolated-stack.js';
import { type Measurement, measureHttp } from './harness/measure.js';
import { formatNumber, formatRatio, machine, markdownTable, round, writeResults } from './harness/report.js';
import { numberSetting } from './harness/settings.js';

const benchDir = fileURLToPath(new URL('./', import.meta.url));

/**
 * Scenario (a): what the platform costs per request. `GET /v1/me` through the gateway, the same
 * call straight to identity, and a bare fastify hello-world, each at the same fixed concurrency,
 * each server in a process of its own. Only one server is loaded at a time; the hello-world is
 * stopped before identity and the gateway start.
 */
export async function gatewayScenario(): Promise<void> {
  const settings = {
    connections: 32,
    seconds: numberSetting('BENCH_SECONDS', 10),
    warmupSeconds: numberSetting('BENCH_WARMUP_SECONDS', 3),
  };
  const load = (url: string, headers: Record<string, string> = {}) =>
    measureHttp({ url, headers, ...settings });
  const rows: { target: string; request: string; measurement: Measurement }[] = [];

  const port = await freePort();
  const bare = await startChildService({
    name: 'hello-world',
    entry: `${benchDir}servers/hello-world.ts`,
    cwd: benchDir,
    port,
    env: { PORT: String(port) },
    readyPath: '/',
  });
  try {
    console.error('gateway: loading the bare fastify hello-world...');
    rows.push({
      target: 'bare fastify hello-world',
      request: 'GET /',
      measurement: await load(`${bare.url}/`),
    });
  } finally {
    await bare.stop();
  }

  const stack = await startIsolatedStack({ gateway: true });
  try {
    const gateway = stack.gateway!;
    const user = await registerBenchUser(gateway.url);
    const headers = { authorization: `Bearer ${user.accessToken}` };
    await expectOk(`${stack.identity.url}/v1/me`, { headers });
    await expectOk(`${gateway.url}/v1/me`, { headers });

    console.error('gateway: loading identity directly...');
    rows.push({
      target: 'identity, direct',
      request: 'GET /v1/me',
      measurement: await load(`${stack.identity.url}/v1/me`, headers),
    });
    console.error('gateway: loading the gateway...');
    rows.push({
      target: 'gateway -> identity',
      request: 'GET /v1/me',
      measurement: await load(`${gateway.url}/v1/me`, headers),
    });
  } finally {
    await stack.stop();
  }

  const baseline = rows[0]!.measurement;
  const results = rows.map(({ target, request, measurement: m }) => ({
    target,
    request,
    requestsPerSecond: round(m.perSecond, 1),
    p50Ms: round(m.p50Ms),
    p99Ms: round(m.p99Ms),
    vsBare: {
      requestsPerSecond: round(m.perSecond / baseline.perSecond),
      p50: round(m.p50Ms / baseline.p50Ms),
      p99: round(m.p99Ms / baseline.p99Ms),
    },
    requests: m.operations,
    non2xx: m.non2xx,
    errors: m.errors,
    seconds: m.seconds,
  }));

  const table = markdownTable(
    [
      'Target',
      'Request',
      'req/s',
      'p50 ms',
      'p99 ms',
      'req/s vs bare',
      'p50 vs bare',
      'p99 vs bare',
      'non-2xx / errors',
    ],
    rows.map(({ target, request, measurement: m }) => [
      target,
      `\`${request}\``,
      formatNumber(m.perSecond),
      formatNumber(m.p50Ms),
      formatNumber(m.p99Ms),
      formatRatio(m.perSecond / baseline.perSecond),
      formatRatio(m.p50Ms / baseline.p50Ms),
      formatRatio(m.p99Ms / baseline.p99Ms),
      `${m.non2xx} / ${m.errors}`,
    ]),
  );
  const file = await writeResults('gateway', { settings, results });
  console.log(
    `\n### gateway: GET /v1/me vs. bare fastify\n\n` +
      `${settings.connections} connections, ${settings.seconds} s each after a ${settings.warmupSeconds} s warm-up, ` +
      `${machine().cpus} CPUs (load average ${machine().loadAverage}), ${process.version}.\n\n${table}\n\n(${file})\n`,
  );
}
