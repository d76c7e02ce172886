import postgres from 'postgres';
import { expectOk, registerBenchUser } from './harness/bench-user.js';
import { startBenchServer } from './harness/child-service.js';
import { type CpuCost, measureCpuCost } from './harness/cpu-cost.js';
import { startIsolatedStack } from './harness/isolated-stack.js';
import { compareInRounds, httpContender, type Measurement, type Sample } from './harness/measure.js';
import { formatNumber, formatRatio, machine, markdownTable, round, writeResults } from './harness/report.js';
import { baselineTree, numberSetting, roundSettings } from './harness/settings.js';

const targets = {
  floor: { label: 'floor: bare fastify + jose + one postgres.js select', request: 'GET /v1/me' },
  identity: { label: 'identity, direct', request: 'GET /v1/me' },
  gateway: { label: 'gateway -> identity', request: 'GET /v1/me' },
  gatewayQuiet: { label: 'gateway -> identity, both at LOG_LEVEL=warn', request: 'GET /v1/me' },
  hop: { label: 'hop floor: bare fastify + undici -> identity', request: 'GET /v1/me' },
  bare: { label: 'bare fastify hello-world', request: 'GET /' },
  identityBaseline: { label: 'identity, direct, baseline tree', request: 'GET /v1/me' },
  gatewayBaseline: { label: 'gateway -> identity, baseline tree', request: 'GET /v1/me' },
} as const;
type Target = keyof typeof targets;

/**
 * Scenario (a): what the platform costs per authenticated read. `GET /v1/me` through the gateway
 * and straight to identity, both as `pnpm start` runs them (LOG_LEVEL info, JSON lines), against
 * its floor (`servers/floor-me.ts`: the same token check and one select, nothing else), the same
 * gateway and identity with logging at `warn` (a second stack), the floor of a hop
 * (`servers/floor-hop.ts`: bare fastify and the gateway's client in front of identity) and a bare
 * fastify hello-world; at the same fixed number of connections, each server a process of its own,
 * one loaded at a time. Then the CPU per request of every process on each path.
 */
export async function gatewayScenario(): Promise<void> {
  const settings = { connections: 32, ...roundSettings() };

  const bare = await startBenchServer('hello-world', {}, '/');
  const stack = await startIsolatedStack({ gateway: true });
  const quiet = await startIsolatedStack({ gateway: true, logLevel: 'warn', namePrefix: 'warn-' });
  const tree = baselineTree();
  const baseline = tree
    ? await startIsolatedStack({ gateway: true, tree, namePrefix: 'baseline-' })
    : undefined;
  const floor = await startBenchServer('floor-me', {
    IDENTITY_URL: stack.identity.url,
    DATABASE_URL: stack.databaseUrl,
  });
  const hop = await startBenchServer('floor-hop', { UPSTREAM_URL: stack.identity.url });
  const gateway = stack.gateway!;
  const user = await registerBenchUser(gateway.url);
  const quietUser = await registerBenchUser(quiet.gateway!.url);
  const headers = { authorization: `Bearer ${user.accessToken}` };
  const quietHeaders = { authorization: `Bearer ${quietUser.accessToken}` };
  await expectOk(`${floor.url}/v1/me`, { headers });
  await expectOk(`${stack.identity.url}/v1/me`, { headers });
  await expectOk(`${gateway.url}/v1/me`, { headers });
  await expectOk(`${hop.url}/v1/me`, { headers });
  await expectOk(`${quiet.gateway!.url}/v1/me`, { headers: quietHeaders });
  const baselineHeaders: Record<string, string> = baseline
    ? { authorization: `Bearer ${(await registerBenchUser(baseline.gateway!.url)).accessToken}` }
    : {};
  if (baseline) await expectOk(`${baseline.gateway!.url}/v1/me`, { headers: baselineHeaders });

  const { connections } = settings;
  const contenders: Partial<Record<Target, (seconds: number) => Promise<Sample>>> = {
    ...(baseline && {
      identityBaseline: httpContender({
        url: `${baseline.identity.url}/v1/me`,
        headers: baselineHeaders,
        connections,
      }),
      gatewayBaseline: httpContender({
        url: `${baseline.gateway!.url}/v1/me`,
        headers: baselineHeaders,
        connections,
      }),
    }),
    floor: httpContender({ url: `${floor.url}/v1/me`, headers, connections }),
    identity: httpContender({ url: `${stack.identity.url}/v1/me`, headers, connections }),
    gateway: httpContender({ url: `${gateway.url}/v1/me`, headers, connections }),
    gatewayQuiet: httpContender({ url: `${quiet.gateway!.url}/v1/me`, headers: quietHeaders, connections }),
    hop: httpContender({ url: `${hop.url}/v1/me`, headers, connections }),
    bare: httpContender({ url: `${bare.url}/`, connections }),
  };
  const measured: Partial<Record<Target, Measurement>> = await compareInRounds(
    contenders as Record<Target, (seconds: number) => Promise<Sample>>,
    settings,
    (message) => console.error(`gateway: ${message}`),
  );

  // CPU per request of every process on each path (the load generator is this process): where a
  // hop's cost goes, in figures that move far less with the machine's load than requests/s do.
  const costSeconds = numberSetting('BENCH_COST_SECONDS', 5);
  console.error(`gateway: CPU per request, ${costSeconds} s on each path...`);
  const monitor = postgres(stack.databaseUrl, { max: 1, onnotice: () => {} });
  const databaseOf = (url: string) => new URL(url).pathname.slice(1);
  const answered = (target: Target) => async () => (await contenders[target]!(costSeconds)).latencies.length;
  const costs: Partial<Record<Target, CpuCost>> = {};
  const paths: [Target, string, Record<string, number>][] = [
    ['identity', stack.databaseUrl, { identity: stack.identity.pid }],
    ['hop', stack.databaseUrl, { hop: hop.pid, identity: stack.identity.pid }],
    ['gateway', stack.databaseUrl, { gateway: gateway.pid, identity: stack.identity.pid }],
  ];
  if (baseline)
    paths.push([
      'gatewayBaseline',
      baseline.databaseUrl,
      { gateway: baseline.gateway!.pid, identity: baseline.identity.pid },
    ]);
  for (const [target, url, processes] of paths)
    costs[target] = await measureCpuCost(
      monitor,
      databaseOf(url),
      { 'load generator': process.pid, ...processes },
      answered(target),
    );
  await monitor.end({ timeout: 2 });

  await floor.stop();
  await hop.stop();
  await baseline?.stop();
  await quiet.stop();
  await stack.stop();
  await bare.stop();

  const rate = (key: Target) => measured[key]?.perSecond ?? Number.NaN;
  const vsFloor = (key: Target) => rate(key) / rate('floor');
  const ratios = {
    identityOverFloor: vsFloor('identity'),
    gatewayOverFloor: vsFloor('gateway'),
    gatewayOverIdentity: rate('gateway') / rate('identity'),
    pnpmStartOverWarn: rate('gateway') / rate('gatewayQuiet'),
    hopOverIdentity: rate('hop') / rate('identity'),
    gatewayOverHop: rate('gateway') / rate('hop'),
    ...(baseline && {
      baselineIdentityOverFloor: vsFloor('identityBaseline'),
      baselineGatewayOverFloor: vsFloor('gatewayBaseline'),
      baselineGatewayOverIdentity: rate('gatewayBaseline') / rate('identityBaseline'),
    }),
  };
  const keys = (Object.keys(targets) as Target[]).filter((key) => measured[key]);
  const results = keys.map((key) => {
    const m = measured[key]!;
    return {
      target: key,
      ...targets[key],
      requestsPerSecond: round(m.perSecond, 1),
      p50Ms: round(m.p50Ms),
      p99Ms: round(m.p99Ms),
      vsFloor: round(vsFloor(key)),
      requests: m.operations,
      non2xx: m.non2xx,
      errors: m.errors,
      seconds: round(m.seconds, 2),
    };
  });

  const table = markdownTable(
    ['Target', 'Request', 'req/s', 'p50 ms', 'p99 ms', 'req/s vs floor', 'non-2xx / errors'],
    keys.map((key) => {
      const m = measured[key]!;
      return [
        targets[key].label,
        `\`${targets[key].request}\``,
        formatNumber(m.perSecond),
        formatNumber(m.p50Ms),
        formatNumber(m.p99Ms),
        formatRatio(vsFloor(key)),
        `${m.non2xx} / ${m.errors}`,
      ];
    }),
  );
  const costColumns = ['load generator', 'gateway', 'hop', 'identity', 'postgres'];
  const costKeys = (Object.keys(targets) as Target[]).filter((key) => costs[key]);
  const msOf = (cost: CpuCost, column: string) => cost.perOperationMs[column];
  const costTable = markdownTable(
    ['Path', ...costColumns.map((column) => `${column} ms`), 'all ms'],
    costKeys.map((key) => {
      const cost = costs[key]!;
      const total = Object.values(cost.perOperationMs).reduce((sum, ms) => sum + ms, 0);
      return [
        targets[key].label,
        ...costColumns.map((column) => {
          const ms = msOf(cost, column);
          return ms === undefined ? '' : formatNumber(ms);
        }),
        formatNumber(total),
      ];
    }),
  );
  const file = await writeResults('gateway', {
    settings: { ...settings, costSeconds },
    results,
    cpuPerRequestMs: Object.fromEntries(
      costKeys.map((key) => [
        key,
        Object.fromEntries(
          Object.entries(costs[key]!.perOperationMs).map(([name, ms]) => [name, round(ms, 4)]),
        ),
      ]),
    ),
    ratios: Object.fromEntries(Object.entries(ratios).map(([name, value]) => [name, round(value)])),
  });
  console.log(
    `\n### gateway: GET /v1/me against its floor\n\n` +
      `${settings.connections} connections; ${settings.seconds} s per target in ${settings.rounds} rounds ` +
      `after a ${settings.warmupSeconds} s warm-up; ${machine().cpus} CPUs (load average ${machine().loadAverage}), ` +
      `${process.version}. Identity and the gateway as \`pnpm start\` runs them unless said.\n\n${table}\n\n` +
      `- identity direct / floor: ${formatRatio(ratios.identityOverFloor)} (goal >= 0.50x)\n` +
      `- gateway / floor: ${formatRatio(ratios.gatewayOverFloor)} (goal >= 0.35x)\n` +
      `- gateway / identity direct: ${formatRatio(ratios.gatewayOverIdentity)} (goal >= 0.80x)\n` +
      `- a bare hop / identity direct: ${formatRatio(ratios.hopOverIdentity)} (what any proxy in front of identity keeps); gateway / bare hop: ${formatRatio(ratios.gatewayOverHop)}\n` +
      `- gateway as \`pnpm start\` runs it / the same at LOG_LEVEL=warn: ${formatRatio(ratios.pnpmStartOverWarn)} (goal >= 0.90x)\n` +
      (baseline
        ? `- baseline tree (${tree}): identity / floor ${formatRatio(ratios.baselineIdentityOverFloor!)}, gateway / floor ${formatRatio(ratios.baselineGatewayOverFloor!)}, gateway / identity ${formatRatio(ratios.baselineGatewayOverIdentity!)}\n`
        : '') +
      `\nCPU ms per request, ${costSeconds} s on each path (user + system time from /proc, less the same processes' idle use):\n\n${costTable}\n` +
      `\n(${file})\n`,
  );
}
