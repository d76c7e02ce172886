import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import helmet from 'helmet';
import type { GatewayEnv } from './env.js';
import { answersOwnCors, carriesTokens, PROXIED_METHODS, pathOf } from './routing.js';

const EXPOSED_HEADERS = [
  'x-request-id',
  'retry-after',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
].join(', ');

/** Every method a route behind the gateway answers: what a preflight may ask for. */
const CORS_METHODS = PROXIED_METHODS.join(', ');

/** How long a browser may reuse a preflight's answer, in seconds. */
const PREFLIGHT_MAX_AGE = '600';

/**
 * What browsers are told about every answer of the gateway: security headers (helmet), CORS for
 * the configured origins only, and no caching of answers that carry tokens.
 *
 * All of it is settled at start-up and applied by one hook: @fastify/helmet rebuilt helmet's
 * middleware (parsing its policy) and @fastify/cors normalized its options on every request, a
 * tenth of the gateway's profile of a proxied read, and running helmet's middleware per request
 * still set each header through Node's validation (docs/benchmarks.md, issue 17).
 */
export async function registerBrowserPolicy(fastify: FastifyInstance, env: GatewayEnv) {
  const securityHeaders = helmetHeaders(
    helmet({
      // The API answers JSON: it loads nothing and is never framed. /docs sets its own policy.
      contentSecurityPolicy: {
        useDefaults: false,
        directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
      },
      frameguard: { action: 'deny' },
      referrerPolicy: { policy: 'no-referrer' },
      // Only where clients reach the gateway over TLS (browsers ignore it over plain HTTP anyway).
      strictTransportSecurity:
        env.HSTS_MAX_AGE > 0 ? { maxAge: env.HSTS_MAX_AGE / 1000, includeSubDomains: false } : false,
    }),
  );
  const allowedOrigin = corsOrigins(env.CORS_ORIGINS);

  fastify.addHook('onRequest', (request, reply, done) => {
    reply.headers(securityHeaders);
    // The widget API's CORS is conversation's answer, passed through untouched.
    if (answersOwnCors(pathOf(request.url))) return done();
    reply.header('vary', 'Origin');
    const origin = allowedOrigin(request.headers.origin);
    if (origin === undefined) return done();
    reply.header('access-control-allow-origin', origin);
    if (origin !== '*') reply.header('access-control-allow-credentials', 'true');
    reply.header('access-control-expose-headers', EXPOSED_HEADERS);
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined)
      return answerPreflight(request, reply);
    done();
  });
  // Preflights are answered by the hook above; this route only lets them reach it (an OPTIONS
  // request that is not an allowed preflight gets the usual 404).
  fastify.options('*', { schema: { hide: true } }, (_request, reply) => reply.callNotFound());

  // After the service's answer, whose own headers must not undo these.
  fastify.addHook('onSend', (request, reply, payload, done) => {
    const path = pathOf(request.url);
    if (carriesTokens(path)) reply.header('cache-control', 'no-store');
    // Loaded by other sites' pages (<script src>, <img src>): helmet's same-origin resource policy
    // would make browsers refuse them.
    if (path === '/widget.js' || path.startsWith('/v1/public/media/'))
      reply.header('cross-origin-resource-policy', 'cross-origin');
    done(null, payload);
  });
}

/**
 * The headers helmet's middleware sets, read once from a response that only records them: with
 * a policy of constants (no per-request nonce), every answer gets the same ones.
 */
function helmetHeaders(middleware: ReturnType<typeof helmet>): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: string) => {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
  };
  middleware({} as IncomingMessage, recorder as unknown as ServerResponse, (error) => {
    if (error) throw error;
  });
  return headers;
}

/**
 * The Access-Control-Allow-Origin to answer a request's Origin with, or undefined when it is not
 * allowed: origins listed by name are echoed (credentials allowed); `*` allows any, without them.
 */
function corsOrigins(configured: string[]): (origin: string | undefined) => string | undefined {
  const anyOrigin = configured.includes('*');
  const named = new Set(configured);
  return (origin) => {
    if (origin === undefined) return undefined;
    if (anyOrigin) return '*';
    return named.has(origin) ? origin : undefined;
  };
}

function answerPreflight(request: FastifyRequest, reply: FastifyReply) {
  reply.header('access-control-allow-methods', CORS_METHODS);
  // Any header the page asks to send is allowed: the services decide what they read.
  const asked = request.headers['access-control-request-headers'];
  if (asked !== undefined) reply.header('access-control-allow-headers', asked);
  reply.header('vary', 'Origin, Access-Control-Request-Headers');
  reply.header('access-control-max-age', PREFLIGHT_MAX_AGE);
  reply.code(204).header('content-length', '0').send();
}
