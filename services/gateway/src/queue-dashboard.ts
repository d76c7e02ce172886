import { randomBytes } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { TokenVerifier } from '@conduit/auth';
import { DomainError } from '@conduit/errors';
import { problemReply } from '@conduit/service-kit';
import { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import { requireAccessToken } from './access-token.js';
import type { GatewayEnv } from './env.js';
import { limitRoute, type RateLimit } from './rate-limit.js';

/** Where operators find the dashboard. */
export const DASHBOARD_PATH = '/admin/queues';
/** Where a platform admin asks for a way in (a bearer token cannot ride on a page's navigation). */
export const DASHBOARD_TICKET_ROUTE = '/v1/admin/queue-dashboard/tickets';
const COOKIE = 'conduit_queue_dashboard';
const TICKET_TTL_S = 60;
/** Queues are found again at most this often (services add theirs as they start). */
const DISCOVERY_EVERY_MS = 30_000;

/**
 * The operators' queue dashboard (bull-board) over every service's BullMQ queues, for platform
 * admins only. A page cannot send a bearer token, so the way in is a ticket: a platform admin
 * asks for one with their token, and opening its link (once, within a minute) swaps it for an
 * HttpOnly, SameSite=Strict cookie bound to that admin for QUEUE_DASHBOARD_SESSION, but never
 * past their token's expiry; every dashboard
 * request, page or API, must carry a live one. Strict same-site cookies keep other sites from
 * driving the dashboard's retry and clean actions.
 */
export async function registerQueueDashboard(
  fastify: FastifyInstance,
  deps: { env: GatewayEnv; redis: Redis; verifier: TokenVerifier; rateLimit: RateLimit },
) {
  const { env, redis, verifier } = deps;
  const sessionTtlS = Math.ceil(env.QUEUE_DASHBOARD_SESSION / 1000);
  const secure = env.HSTS_MAX_AGE > 0;

  fastify.post(
    DASHBOARD_TICKET_ROUTE,
    { preHandler: limitRoute(deps.rateLimit, { method: 'POST', url: DASHBOARD_TICKET_ROUTE }) },
    async (request, reply) => {
      const { token, verified } = await requireAccessToken(verifier, request);
      // As every admin route answers anyone else.
      if (!verified.actor.platformAdmin)
        throw new DomainError('forbidden', 'Only platform admins open the queue dashboard.');
      const ticket = randomBytes(24).toString('base64url');
      // The session ends when the token would have: the admin claim is not trusted for longer than
      // the token that carried it (a demoted admin's next token says so).
      const session = { userId: verified.actor.userId, until: tokenExpiry(token) };
      await redis.set(`queue-dashboard:ticket:${ticket}`, JSON.stringify(session), 'EX', TICKET_TTL_S);
      reply.header('cache-control', 'no-store');
      return reply.status(201).send({
        url: `${DASHBOARD_PATH}/?ticket=${ticket}`,
        expiresInSeconds: TICKET_TTL_S,
      });
    },
  );

  // BullMQ refuses a connection with a key prefix: queues get one of their own, without it.
  const queueConnection = new Redis(env.REDIS_URL, { maxRetriesPerRequest: null, lazyConnect: true });
  const board = new FastifyAdapter();
  const { replaceQueues } = createBullBoard({
    queues: [],
    serverAdapter: board,
    options: { uiConfig: { boardTitle: 'Conduit queues' } },
  });
  const queues = new Map<string, Queue>();
  let discoveredAt = 0;
  const discover = async () => {
    if (Date.now() - discoveredAt < DISCOVERY_EVERY_MS) return;
    discoveredAt = Date.now();
    for (const name of await queueNames(queueConnection, `${env.REDIS_KEY_PREFIX}bull`)) {
      if (!queues.has(name))
        queues.set(
          name,
          new Queue(name, { connection: queueConnection, prefix: `${env.REDIS_KEY_PREFIX}bull` }),
        );
    }
    replaceQueues([...queues.values()].map((queue) => new BullMQAdapter(queue)));
  };

  await fastify.register(
    async (dashboard) => {
      // The gateway passes bodies through as bytes; the dashboard's own API reads JSON.
      dashboard.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
        try {
          done(null, body === '' ? {} : JSON.parse(body as string));
        } catch {
          done(new DomainError('bad_request', 'The body is not valid JSON.'), undefined);
        }
      });
      dashboard.addHook('onRequest', async (request, reply) => {
        if (await openSession(request, reply)) await discover();
        // A refusal or the ticket's redirect has been sent: end the request there.
        else return reply;
      });
      // The API's policy (default-src 'none') would leave the page blank: its own scripts and styles.
      dashboard.addHook('onSend', async (_request, reply) => {
        reply.header(
          'content-security-policy',
          "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
        );
        reply.header('cache-control', 'no-store');
      });
      await dashboard.register(board.registerPlugin(), { prefix: '/' });
    },
    { prefix: DASHBOARD_PATH },
  );
  board.setBasePath(DASHBOARD_PATH);

  /**
   * Swaps a ticket for a session cookie (and redirects), or checks the cookie: true when the request
   * may go on. Refusals are answered here, as problems: bull-board's own error handler would not.
   */
  async function openSession(request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    const ticket = (request.query as Record<string, unknown> | undefined)?.ticket;
    if (typeof ticket === 'string') {
      const opened = await redis.getdel(`queue-dashboard:ticket:${ticket.slice(0, 64)}`);
      const { userId, until } = opened ? (JSON.parse(opened) as { userId: string; until: number }) : {};
      const ttlS = Math.min(sessionTtlS, Math.floor(((until ?? 0) - Date.now()) / 1000));
      if (!userId || ttlS <= 0) {
        problemReply(
          request,
          reply,
          'unauthorized',
          'This dashboard link has been used or has expired; ask for a new one.',
        );
        return false;
      }
      const session = randomBytes(24).toString('base64url');
      await redis.set(`queue-dashboard:session:${session}`, userId, 'EX', ttlS);
      reply.header(
        'set-cookie',
        `${COOKIE}=${session}; Path=${DASHBOARD_PATH}; HttpOnly; SameSite=Strict; Max-Age=${ttlS}${secure ? '; Secure' : ''}`,
      );
      // The ticket leaves the address bar (and the history) at once.
      await reply.redirect(`${DASHBOARD_PATH}/`, 303);
      return false;
    }
    const session = readCookie(request.headers.cookie, COOKIE);
    if (session && (await redis.get(`queue-dashboard:session:${session.slice(0, 64)}`))) return true;
    problemReply(
      request,
      reply,
      'unauthorized',
      `Open the queue dashboard through a link from POST ${DASHBOARD_TICKET_ROUTE} (platform admins).`,
    );
    return false;
  }

  fastify.addHook('onClose', async () => {
    await Promise.all([...queues.values()].map((queue) => queue.close()));
    queueConnection.disconnect();
  });
}

/** When a verified access token expires (ms): its payload's `exp`, read once its signature held. */
function tokenExpiry(token: string): number {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
    exp?: number;
  };
  return (payload.exp ?? 0) * 1000;
}

/** The names of the BullMQ queues under a prefix: each keeps a `<prefix>:<name>:meta` hash. */
async function queueNames(redis: Redis, prefix: string): Promise<string[]> {
  const names = new Set<string>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*:meta`, 'COUNT', 500);
    cursor = next;
    for (const key of keys) names.add(key.slice(prefix.length + 1, -':meta'.length));
  } while (cursor !== '0');
  return [...names].sort();
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}
