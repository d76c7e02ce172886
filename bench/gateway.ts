import { fileURLToPath } from 'node:url';
import { expectOk, registerBenchUser } from './harness/bench-user.js';
import { freePort, startChildService } from './harness/child-service.js';
import { startIsolatedStack } from './harness/isolated-stack.js';
import { compareInRounds, httpContender } from './harness/measure.js';
import { formatNumber, formatRatio, machine, markdownTable, round, writeResults } from './harness/report.js';
import { roundSettings } from './harness/settings.js';

const benchDir = fileURLToPath(new URL('./', import.meta.url));

const targets = {
  bare: { label: 'bare fastify hello-world', request: 'GET /' },
  identity: { label: 'identity, direct', request: 'GET /v1/me' },
  gateway: { label: 'gateway -> identity', request: 'GET /v1/me' },
} as const;

/**
 * Scenario (a): what the platform costs per request. `GET /v1/me` through the gateway, the same
 * call straight to identity, and a bare fastify hello-world, at the same fixed number of
 * connections, each server in a process of its own and only one of them loaded at a time.
 */
export async function gatewayScenario(): Promise<void> {
  const settings = { connections: 32, ...roundSettings() };

  const port = await freePort();
  const bare = await startChildService({
    name: 'hello-world',
    entry: `${benchDir}servers/hello-world.ts`,
    cwd: benchDir,
    port,
    env: { PORT: String(port) },
    readyPath: '/',
  });
  const stack = await startIsolatedStack({ gateway: true });
  const gateway = stack.gateway!;
  const user = await registerBenchUser(gateway.url);
  const headers = { authorization: `Bearer ${user.accessToken}` };
  await expectOk(`${stack.identity.url}/v1/me`, { headers });
  await expectOk(`${gateway.url}/v1/me`, { headers });

  const { connections } = settings;
  const measured = await compareInRounds(
    {
      bare: httpContender({ url: `${bare.url}/`, connections }),
      identity: httpContender({ url: `${stack.identity.url}/v1/me`, headers, connections }),
      gateway: httpContender({ url: `${gateway.url}/v1/me`, headers, connections }),
    },
    settings,
    (message) => console.error(`gateway: ${message}`),
  );
  await stack.stop();
  await bare.stop();

  const baseline = measured.bare;
  const rows = (Object.keys(targets) as (keyof typeof targets)[]).map((key) => ({
    key,
    ...targets[key],
    m: measured[key],
  }));
  const results = rows.map(({ key, label, request, m }) => ({
    target: key,
    label,
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
    seconds: round(m.seconds, 2),
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
    rows.map(({ label, request, m }) => [
      label,
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
      `${settings.connections} connections; ${settings.seconds} s per target in ${settings.rounds} rounds ` +
      `after a ${settings.warmupSeconds} s warm-up; ${machine().cpus} CPUs (load average ${machine().loadAverage}), ` +
      `${process.version}.\n\n${table}\n\n(${file})\n`,
  );
}
