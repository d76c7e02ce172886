import { fileURLToPath } from 'node:url';
import { deleteRedisKeys, localServices, uniqueName } from '@conduit/testing';
import { freePort, startBenchServer, startChildService } from './harness/child-service.js';
import { deferCleanup } from './harness/cleanup.js';
import { processCpuMs } from './harness/cpu-cost.js';
import { pnpmStartEnv } from './harness/isolated-stack.js';
import { compareInRounds, httpContender, type Sample } from './harness/measure.js';
import { formatNumber, formatRatio, machine, markdownTable, round, writeResults } from './harness/report.js';
import { baselineTree, roundSettings } from './harness/settings.js';

const repoRoot = fileURLToPath(new URL('../', import.meta.url));

type Target = 'gateway' | 'hop' | 'gatewayBaseline';
const labels: Record<Target, string> = {
  gateway: 'gateway, as `pnpm start` runs it',
  hop: 'hop floor: bare fastify + undici',
  gatewayBaseline: 'gateway, baseline tree',
};

/** The gateway of a checkout in front of `identityUrl`, with its rate limits out of reach. */
async function startGatewayOf(tree: string, name: string, identityUrl: string) {
  const port = await freePort();
  const prefix = `${uniqueName('bench')}:`;
  deferCleanup(() => deleteRedisKeys(prefix));
  return startChildService({
    name,
    entry: `${tree}/services/gateway/src/server.ts`,
    cwd: `${tree}/services/gateway`,
    port,
    readyPath: '/health/live',
    env: {
      ...pnpmStartEnv,
      REDIS_URL: localServices.redisUrl,
      REDIS_KEY_PREFIX: prefix,
      IDENTITY_URL: identityUrl,
      GATEWAY_PORT: String(port),
      GATEWAY_HOST: '127.0.0.1',
      RATE_LIMIT_MAX: '1000000000',
    },
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * Scenario: what the gateway itself costs per proxied read. The gateway (as `pnpm start` runs it)
 * and the floor of a hop (`servers/floor-hop.ts`) in front of a stand-in for identity
 * (`servers/stand-in-identity.ts`: a bare node:http server answering `GET /v1/me` with a fixed
 * user), so that what is behind them costs next to nothing and does not share the cores with its
 * database. Each proxy's CPU time per request is read from /proc around every turn, and its
 * median over the rounds reported: figures far steadier than requests/s on a shared machine.
 * With BENCH_BASELINE_TREE, that checkout's gateway takes turns too (a before / after).
 */
export async function gatewayOverheadScenario(): Promise<void> {
  const rounds = roundSettings();
  // At least 8 rounds: the figure is a median of per-round readings.
  const settings = { connections: 32, ...rounds, rounds: Math.max(rounds.rounds, 8) };
  const identity = await startBenchServer('stand-in-identity');
  const token = await (await fetch(`${identity.url}/token`)).text();
  const tree = baselineTree();
  const servers: Partial<Record<Target, { url: string; pid: number; stop(): Promise<void> }>> = {
    gateway: await startGatewayOf(repoRoot, 'overhead-gateway', identity.url),
    hop: await startBenchServer('floor-hop', { UPSTREAM_URL: identity.url }),
    ...(tree && { gatewayBaseline: await startGatewayOf(tree, 'overhead-baseline-gateway', identity.url) }),
  };

  const cpuPerRequestUs = { gateway: [], hop: [], gatewayBaseline: [] } as Record<Target, number[]>;
  const standInUs = { gateway: [], hop: [], gatewayBaseline: [] } as Record<Target, number[]>;
  const contenders: Partial<Record<Target, (seconds: number) => Promise<Sample>>> = {};
  for (const [target, server] of Object.entries(servers) as [Target, { url: string; pid: number }][]) {
    const load = httpContender({
      url: `${server.url}/v1/me`,
      headers: { authorization: `Bearer ${token}` },
      connections: settings.connections,
    });
    const first = await fetch(`${server.url}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    if (first.status !== 200) throw new Error(`${target} answered ${first.status}: ${await first.text()}`);
    contenders[target] = async (seconds) => {
      const proxyBefore = processCpuMs(server.pid)!;
      const standInBefore = processCpuMs(identity.pid)!;
      const sample = await load(seconds);
      const answered = Math.max(1, sample.latencies.length);
      cpuPerRequestUs[target].push(((processCpuMs(server.pid)! - proxyBefore) * 1000) / answered);
      standInUs[target].push(((processCpuMs(identity.pid)! - standInBefore) * 1000) / answered);
      return sample;
    };
  }
  const measured = await compareInRounds(
    contenders as Record<Target, (seconds: number) => Promise<Sample>>,
    settings,
    (message) => console.error(`gateway-overhead: ${message}`),
  );
  for (const server of Object.values(servers)) await server.stop();
  await identity.stop();

  // The warm-up's turn is the first reading of each; the rounds' are the rest.
  const roundsOf = (values: number[]) => values.slice(1);
  const targets = Object.keys(servers) as Target[];
  const cpu = (target: Target) => median(roundsOf(cpuPerRequestUs[target]));
  const rate = (target: Target) => measured[target]?.perSecond ?? Number.NaN;
  const ratios = {
    gatewayOverHopCpu: cpu('gateway') / cpu('hop'),
    gatewayOverHopRate: rate('gateway') / rate('hop'),
    ...(tree && {
      gatewayOverBaselineCpu: cpu('gateway') / cpu('gatewayBaseline'),
      gatewayOverBaselineRate: rate('gateway') / rate('gatewayBaseline'),
    }),
  };
  const table = markdownTable(
    [
      'Target',
      'req/s',
      'p50 ms',
      'p99 ms',
      'CPU µs per request (median)',
      'per round',
      'stand-in µs',
      'non-2xx / errors',
    ],
    targets.map((target) => {
      const m = measured[target];
      return [
        labels[target],
        formatNumber(m.perSecond),
        formatNumber(m.p50Ms),
        formatNumber(m.p99Ms),
        formatNumber(cpu(target)),
        roundsOf(cpuPerRequestUs[target])
          .map((us) => us.toFixed(0))
          .join(' '),
        formatNumber(median(roundsOf(standInUs[target]))),
        `${m.non2xx} / ${m.errors}`,
      ];
    }),
  );
  const file = await writeResults('gateway-overhead', {
    settings,
    results: targets.map((target) => ({
      target,
      label: labels[target],
      requestsPerSecond: round(rate(target), 1),
      p50Ms: round(measured[target].p50Ms),
      p99Ms: round(measured[target].p99Ms),
      cpuPerRequestUs: round(cpu(target), 1),
      cpuPerRequestUsByRound: roundsOf(cpuPerRequestUs[target]).map((us) => round(us, 1)),
      standInCpuPerRequestUs: round(median(roundsOf(standInUs[target])), 1),
      non2xx: measured[target].non2xx,
      errors: measured[target].errors,
    })),
    ratios: Object.fromEntries(Object.entries(ratios).map(([name, value]) => [name, round(value)])),
  });
  console.log(
    `\n### gateway-overhead: the gateway's own cost per proxied read\n\n` +
      `\`GET /v1/me\` through each proxy to a stand-in for identity; ${settings.connections} connections; ` +
      `${settings.seconds} s per target in ${settings.rounds} rounds after a ${settings.warmupSeconds} s warm-up; ` +
      `${machine().cpus} CPUs (load average ${machine().loadAverage}), ${process.version}.\n\n${table}\n\n` +
      `- gateway / hop floor, CPU per request: ${formatRatio(ratios.gatewayOverHopCpu)}; req/s: ${formatRatio(ratios.gatewayOverHopRate)}\n` +
      (tree
        ? `- this tree / baseline (${tree}), CPU per request: ${formatRatio(ratios.gatewayOverBaselineCpu!)}; req/s: ${formatRatio(ratios.gatewayOverBaselineRate!)}\n`
        : '') +
      `\n(${file})\n`,
  );
}
