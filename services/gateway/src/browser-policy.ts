import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GatewayEnv } from './env.js';
import { answersOwnCors, carriesTokens } from './routing.js';

const EXPOSED_HEADERS = [
  'x-request-id',
  'retry-after',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
];

/**
 * What browsers are told about every answer of the gateway: security headers (@fastify/helmet),
 * CORS for the configured origins only, and no caching of answers that carry tokens.
 */
export async function registerBrowserPolicy(fastify: FastifyInstance, env: GatewayEnv) {
  await fastify.register(helmet, {
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
  });

  // Credentials are allowed only with an origin that is listed by name; `*` allows any, without them.
  const anyOrigin = env.CORS_ORIGINS.includes('*');
  await fastify.register(cors, {
    delegator: (request: FastifyRequest, callback) => {
      const origin = request.headers.origin;
      // The widget API's CORS is conversation's answer, passed through untouched.
      if (answersOwnCors(request.url.split('?')[0]!)) return callback(null, { origin: false });
      const allowed = origin !== undefined && (anyOrigin || env.CORS_ORIGINS.includes(origin));
      callback(
        null,
        allowed
          ? {
              origin: anyOrigin ? '*' : origin,
              credentials: !anyOrigin,
              exposedHeaders: EXPOSED_HEADERS,
              maxAge: 600,
            }
          : { origin: false },
      );
    },
  });

  fastify.addHook('onSend', async (request, reply) => {
    const path = request.url.split('?')[0]!;
    if (carriesTokens(path)) reply.header('cache-control', 'no-store');
    // Loaded by other sites' pages (<script src>, <img src>): helmet's same-origin resource policy
    // would make browsers refuse them.
    if (path === '/widget.js' || path.startsWith('/v1/public/media/'))
      reply.header('cross-origin-resource-policy', 'cross-origin');
  });
}
