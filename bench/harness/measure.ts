import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';

/** One measured load: throughput and latency of the successful operations. */
export interface Measurement {
  /** Successful operations per second over the measured period. */
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Successful operations counted. */
  operations: number;
  /** Answers other than 2xx, and connection errors or timeouts: a clean run has 0 of both. */
  non2xx: number;
  errors: number;
  seconds: number;
}

export interface HttpLoad {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  seconds: number;
  /** Run first at the same concurrency and thrown away (JIT, connection pools, caches). */
  warmupSeconds: number;
}

/**
 * Drives an HTTP endpoint with autocannon at a fixed number of connections (one request in flight
 * on each). Latencies are taken from every 2xx response at full precision (autocannon's own
 * histogram rounds to whole milliseconds, too coarse for a hello-world).
 */
export async function measureHttp(load: HttpLoad): Promise<Measurement> {
  if (load.warmupSeconds > 0) await runAutocannon({ ...load, seconds: load.warmupSeconds }, () => {});
  const latencies: number[] = [];
  const result = await runAutocannon(load, (statusCode, responseTime) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
  });
  const seconds = result.duration;
  return {
    perSecond: latencies.length / seconds,
    ...percentiles(latencies),
    operations: latencies.length,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    seconds,
  };
}

function runAutocannon(load: HttpLoad, onResponse: (statusCode: number, responseTime: number) => void) {
  return new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: load.url,
        method: load.method ?? 'GET',
        headers: load.headers ?? {},
        ...(load.body === undefined ? {} : { body: load.body }),
        connections: load.connections,
        pipelining: 1,
        duration: load.seconds,
        timeout: 30,
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) =>
      onResponse(statusCode, responseTime),
    );
  });
}

/**
 * Calls `operation` from `concurrency` loops at once for `seconds` (after a thrown-away warm-up),
 * each loop starting its next call when the previous one ends: the in-process analogue of
 * `measureHttp`, for work such as argon2 that has no HTTP in front of it.
 */
export async function measureAsync(
  operation: () => Promise<unknown>,
  options: { concurrency: number; seconds: number; warmupSeconds: number },
): Promise<Measurement> {
  const run = async (seconds: number) => {
    const latencies: number[] = [];
    let errors = 0;
    const start = performance.now();
    const deadline = start + seconds * 1000;
    const loop = async () => {
      while (performance.now() < deadline) {
        const began = performance.now();
        try {
          await operation();
          latencies.push(performance.now() - began);
        } catch {
          errors++;
        }
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, loop));
    return { latencies, errors, seconds: (performance.now() - start) / 1000 };
  };
  if (options.warmupSeconds > 0) await run(options.warmupSeconds);
  const { latencies, errors, seconds } = await run(options.seconds);
  return {
    perSecond: latencies.length / seconds,
    ...percentiles(latencies),
    operations: latencies.length,
    non2xx: 0,
    errors,
    seconds,
  };
}

function percentiles(values: number[]): { p50Ms: number; p99Ms: number } {
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) =>
    sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! : Number.NaN;
  return { p50Ms: at(0.5), p99Ms: at(0.99) };
}
