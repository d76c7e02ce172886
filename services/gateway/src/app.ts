import { createTokenVerifier, fetchKeysOnReady, type TokenVerifier } from '@conduit/auth';
import { DomainError } from '@conduit/errors';
import type { Logger } from '@conduit/service-kit';
import { buildService, type ReadinessChecks, type ServiceApp } from '@conduit/service-kit';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { requireAccessToken } from './access-token.js';
import { registerBrowserPolicy } from './browser-policy.js';
import type { GatewayEnv } from './env.js';
import { OpenApiAggregate } from './openapi-aggregate.js';
import { ServiceProxy } from './proxy.js';
import { registerQueueDashboard } from './queue-dashboard.js';
import { limitRoute, type RateLimit } from './rate-limit.js';
import { SyncedRateLimitCounts } from './rate-limit-store.js';
import {
  answersOwnCors,
  isPublic,
  PROXIED_METHODS,
  pathOf,
  type ServiceName,
  upstreams,
  WIDGET_API_PREFIX,
} from './routing.js';
import { registerWidgetScript } from './widget-script.js';

export interface GatewayDeps {
  env: GatewayEnv;
  log: Logger;
  redis: Redis;
  /** Defaults to identity's JWKS; tests may pass their own. */
  verifier?: TokenVerifier;
}

/** The front door: auth check, rate limits, body limit, CORS and security headers, routing, merged API docs. */
export async function buildGateway(deps: GatewayDeps, readiness: ReadinessChecks = {}): Promise<ServiceApp> {
  const { env } = deps;
  const origins: Record<ServiceName, string> = {
    identity: env.IDENTITY_URL,
    'knowledge-base': env.KNOWLEDGE_BASE_URL,
    conversation: env.CONVERSATION_URL,
    'workflow-engine': env.WORKFLOW_ENGINE_URL,
    'email-sync': env.EMAIL_SYNC_URL,
    analytics: env.ANALYTICS_URL,
    workspace: env.WORKSPACE_URL,
  };
  const proxies = Object.fromEntries(
    Object.entries(origins).map(([service, origin]) => [
      service,
      new ServiceProxy(service, origin, {
        headersTimeoutMs: env.UPSTREAM_TIMEOUT,
        idleTimeoutMs: env.UPSTREAM_IDLE_TIMEOUT,
      }),
    ]),
  ) as Record<ServiceName, ServiceProxy>;
  const verifier =
    deps.verifier ?? createTokenVerifier({ jwksUrl: `${env.IDENTITY_URL}/.well-known/jwks.json` });
  const docs = new OpenApiAggregate(origins, upstreams);

  const app = await buildService({
    name: 'gateway',
    logger: deps.log,
    bodyLimit: env.BODY_LIMIT,
    trustProxy: env.TRUST_PROXY.length ? env.TRUST_PROXY : false,
    // Bodies pass through as bytes; each service refuses unstorable input naming the field.
    refuseUnstorable: false,
    readiness: {
      ...readiness,
      // A service that is down makes the gateway degraded, not unready: the others still answer.
      ...Object.fromEntries(
        Object.entries(proxies).map(([service, proxy]) => [
          service,
          {
            required: false as const,
            check: async () => {
              if (!(await proxy.isAlive())) throw new Error('not answering');
            },
          },
        ]),
      ),
    },
  });
  const fastify = app as unknown as FastifyInstance;
  fetchKeysOnReady(app, verifier);

  // The gateway never interprets bodies: it checks their size and passes the bytes on.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  // Uploads go on as they arrive: a file of many megabytes is never held whole here. Nothing reads
  // them, so their declared length is held against the route's limit before any byte moves.
  app.addContentTypeParser('multipart/form-data', (request, payload, done) => {
    const declared = Number(request.headers['content-length']);
    const limit = request.routeOptions.bodyLimit ?? env.BODY_LIMIT;
    if (!Number.isSafeInteger(declared))
      return done(new DomainError('bad_request', 'Send uploads with a Content-Length.'), undefined);
    if (declared > limit)
      return done(
        new DomainError('payload_too_large', `Uploads here are at most ${limit} bytes.`),
        undefined,
      );
    done(null, payload);
  });

  await registerBrowserPolicy(fastify, env);

  const publicRequest = (request: FastifyRequest) => isPublic(request.method, pathOf(request.url));
  // The widget API is public but no sign-in: it gets the general budget per address (conversation
  // limits each visitor and each app itself), not the small one that guards passwords.
  const widgetRequest = (request: FastifyRequest) => answersOwnCors(pathOf(request.url));
  // Counted here and synced with Redis every RATE_LIMIT_SYNC_MS, not a Redis round trip per request.
  const rateLimitCounts = new SyncedRateLimitCounts(deps.redis);
  const rateLimit: RateLimit = {
    counts: rateLimitCounts,
    windowMs: env.RATE_LIMIT_WINDOW,
    // A request with a token is on a route that needs one: never a sign-in route.
    max: (request) =>
      !request.auth && publicRequest(request) && !widgetRequest(request)
        ? env.AUTH_RATE_LIMIT_MAX
        : env.RATE_LIMIT_MAX,
    client: (request) =>
      request.auth
        ? `user:${request.auth.actor.userId}`
        : widgetRequest(request)
          ? `widget:${request.ip}`
          : publicRequest(request)
            ? `public:${request.ip}`
            : `ip:${request.ip}`,
  };

  for (const upstream of upstreams) {
    const proxy = proxies[upstream.service];
    for (const url of upstream.prefix.includes('.')
      ? [upstream.prefix]
      : [upstream.prefix, `${upstream.prefix}/*`]) {
      fastify.route({
        method: [...PROXIED_METHODS],
        url,
        ...(upstream.bodyLimit ? { bodyLimit: upstream.bodyLimit } : {}),
        onRequest: async (request) => {
          if (publicRequest(request)) return;
          request.auth = (await requireAccessToken(verifier, request)).verified;
        },
        preHandler: limitRoute(rateLimit, { method: PROXIED_METHODS, url }),
        handler: (request, reply) => proxy.forward(request, reply),
      });
    }
  }

  await registerQueueDashboard(fastify, { env, redis: deps.redis, verifier, rateLimit });

  // The widget API's preflights go to conversation, which alone knows each app's origins.
  fastify.route({
    method: 'OPTIONS',
    url: `${WIDGET_API_PREFIX}*`,
    preHandler: limitRoute(rateLimit, { method: 'OPTIONS', url: `${WIDGET_API_PREFIX}*` }),
    handler: (request, reply) => proxies.conversation.forward(request, reply),
  });
  registerWidgetScript(fastify);

  await fastify.register(swaggerUi, {
    routePrefix: '/docs',
    // The page's own policy (its scripts by hash) in place of the API's, which loads nothing; plain
    // HTTP in development must keep working, so requests are not upgraded to HTTPS.
    staticCSP: true,
    transformStaticCSP: (header: string) => header.replace(/\s*upgrade-insecure-requests;?/, ''),
    transformSpecification: () => docs.current(),
    transformSpecificationClone: false,
    uiHooks: {
      preHandler: async (request: FastifyRequest) => {
        if (request.url.startsWith('/docs/json') || request.url.startsWith('/docs/yaml'))
          await docs.refresh();
      },
    },
  });

  app.addHook('onClose', async () => {
    await rateLimitCounts.close();
    await Promise.all(Object.values(proxies).map((proxy) => proxy.close()));
    await docs.close();
  });
  return app;
}
