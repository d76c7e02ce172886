import { DomainError } from '@conduit/errors';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction, preHandlerHookHandler } from 'fastify';
import type { Counted, SyncedRateLimitCounts } from './rate-limit-store.js';

export interface RateLimit {
  counts: SyncedRateLimitCounts;
  windowMs: number;
  /** Requests a client may make to one route in a window. */
  max(request: FastifyRequest): number;
  /** Who is counted: a user, or an address. */
  client(request: FastifyRequest): string;
}

/**
 * The preHandler that limits one route: each client's requests to it are counted per window (in
 * this process, synced with Redis), every answer states the budget in X-RateLimit-Limit,
 * -Remaining and -Reset, and a request beyond it gets 429 problem+json with Retry-After. With
 * Redis down requests go on, unlimited, rather than wait for it.
 *
 * A plain callback that judges from the counts in hand: @fastify/rate-limit's async hook, used
 * before, made several promises per request on every proxied read (docs/benchmarks.md, issue 17).
 */
export function limitRoute(
  limit: RateLimit,
  route: { method: string | readonly string[]; url: string },
): preHandlerHookHandler {
  // Keyed as @fastify/rate-limit's store was (`<methods><url>-<client>`): counts carry over.
  const scope = `rate:${route.method}${route.url}-`;
  return (request, reply, done) => {
    const max = limit.max(request);
    const counted = limit.counts.count(scope + limit.client(request), limit.windowMs);
    if (!(counted instanceof Promise)) return judge(reply, done, max, counted);
    // Redis's errors are logged by its connection; one line per request would only repeat them.
    counted.then(
      (result) => judge(reply, done, max, result),
      () => done(),
    );
  };
}

function judge(reply: FastifyReply, done: HookHandlerDoneFunction, max: number, { current, ttl }: Counted) {
  const resetSeconds = Math.ceil(ttl / 1000);
  reply.header('x-ratelimit-limit', max);
  reply.header('x-ratelimit-remaining', Math.max(0, max - current));
  reply.header('x-ratelimit-reset', resetSeconds);
  if (current <= max) return done();
  done(
    new DomainError('rate_limited', 'Too many requests; retry after the time in the Retry-After header.', {
      retryAfterSeconds: resetSeconds,
    }),
  );
}
