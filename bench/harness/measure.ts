import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';

/** What one stretch of load produced: every successful operation's latency, and the failures. */
export interface Sample {
  latencies: number[];
  seconds: number;
  /** Answers other than 2xx. */
  non2xx: number;
  /** Connection errors, timeouts, failed operations. */
  errors: number;
}

/** Throughput and latency of the successful operations over all the samples of one contender. */
export interface Measurement {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  operations: number;
  /** A clean run has 0 of both. */
  non2xx: number;
  errors: number;
  seconds: number;
}

export interface RoundSettings {
  /** Measured seconds per contender, split evenly over the rounds. */
  seconds: number;
  rounds: number;
  /** Thrown away first, per contender (JIT, connection pools, caches). */
  warmupSeconds: number;
}

/**
 * Measures several contenders against each other on a machine that may not be quiet: each is
 * warmed up, then they take turns, round after round (the order rotating each round), so that a
 * burst of outside load falls on all of them instead of on whichever ran at that moment. The
 * ratios between them are what this protects; absolute figures still move with the load.
 */
export async function compareInRounds<K extends string>(
  contenders: Record<K, (seconds: number) => Promise<Sample>>,
  settings: RoundSettings,
  onProgress: (message: string) => void = () => {},
): Promise<Record<K, Measurement>> {
  const names = Object.keys(contenders) as K[];
  if (settings.warmupSeconds > 0) {
    for (const name of names) {
      onProgress(`warming up ${name}`);
      await contenders[name](settings.warmupSeconds);
    }
  }
  const samples = Object.fromEntries(names.map((name) => [name, [] as Sample[]])) as Record<K, Sample[]>;
  const slice = settings.seconds / settings.rounds;
  for (let round = 0; round < settings.rounds; round++) {
    onProgress(`round ${round + 1} of ${settings.rounds}`);
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + i) % names.length]!;
      samples[name].push(await contenders[name](slice));
    }
  }
  return Object.fromEntries(names.map((name) => [name, summarize(samples[name])])) as Record<K, Measurement>;
}

export interface HttpLoad {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  connections: number;
}

/**
 * An HTTP endpoint as a contender: autocannon for a given time at a fixed number of connections,
 * one request in flight on each. Latencies are taken from every 2xx response at full precision
 * (autocannon's own histogram rounds to whole milliseconds, too coarse for a hello-world).
 *
 * Both kinds of contender count what completes within the time and nothing after it, which is the
 * steady rate of a closed loop. autocannon abandons the requests in flight when its time is up; the
 * server is still working on them, so the turn ends only after it has had time to finish (twice
 * the p99 latency), and that work never lands on the next contender's turn.
 */
export function httpContender(load: HttpLoad): (seconds: number) => Promise<Sample> {
  return async (seconds) => {
    const sample = await sampleHttp(load, seconds);
    const sorted = [...sample.latencies].sort((a, b) => a - b);
    const p99 = sorted[Math.floor(sorted.length * 0.99)] ?? 1000;
    await sleep(Math.min(3000, Math.max(200, 2 * p99)));
    return sample;
  };
}

async function sampleHttp(load: HttpLoad, seconds: number): Promise<Sample> {
  const latencies: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: load.url,
        method: load.method ?? 'GET',
        headers: load.headers ?? {},
        ...(load.body === undefined ? {} : { body: load.body }),
        connections: load.connections,
        pipelining: 1,
        duration: seconds,
        timeout: 30,
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
  });
  return {
    latencies,
    seconds: result.duration,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

/**
 * Calls `operation` from `concurrency` loops at once for `seconds`, each loop starting its next call
 * when the previous one ends: the in-process analogue of `httpContender`, for work such as argon2
 * that has no HTTP in front of it. Calls still running when the time is up are waited for (they
 * must not overlap the next turn) but not counted, as autocannon does not count what it abandons.
 */
export async function sampleAsync(
  operation: () => Promise<unknown>,
  concurrency: number,
  seconds: number,
): Promise<Sample> {
  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  const loop = async () => {
    while (performance.now() < deadline) {
      const began = performance.now();
      try {
        await operation();
        if (performance.now() <= deadline) latencies.push(performance.now() - began);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return { latencies, seconds, non2xx: 0, errors };
}

/** One contender on its own: a thrown-away warm-up, then `seconds` measured in one stretch. */
export async function measureAsync(
  operation: () => Promise<unknown>,
  options: { concurrency: number; seconds: number; warmupSeconds: number },
): Promise<Measurement> {
  if (options.warmupSeconds > 0) await sampleAsync(operation, options.concurrency, options.warmupSeconds);
  return summarize([await sampleAsync(operation, options.concurrency, options.seconds)]);
}

/** `measureAsync` for an HTTP endpoint. */
export async function measureHttp(
  load: HttpLoad & { seconds: number; warmupSeconds: number },
): Promise<Measurement> {
  const contender = httpContender(load);
  if (load.warmupSeconds > 0) await contender(load.warmupSeconds);
  return summarize([await contender(load.seconds)]);
}

function summarize(samples: Sample[]): Measurement {
  const sorted = Float64Array.from(samples.flatMap((sample) => sample.latencies)).sort();
  const at = (q: number) =>
    sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! : Number.NaN;
  const seconds = samples.reduce((sum, sample) => sum + sample.seconds, 0);
  return {
    perSecond: sorted.length / seconds,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    operations: sorted.length,
    non2xx: samples.reduce((sum, sample) => sum + sample.non2xx, 0),
    errors: samples.reduce((sum, sample) => sum + sample.errors, 0),
    seconds,
  };
}
