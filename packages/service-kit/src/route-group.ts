import type {
  FastifyContextConfig,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifySchema,
  preValidationAsyncHookHandler,
} from 'fastify';
import { z } from 'zod';
import type { ServiceApp } from './build-service.js';
import { problemResponses } from './problem-responses.js';
import { bearerSecurity } from './security.js';

type Schema = z.ZodType;
/** OpenAPI security requirements; null for a route anyone may call. */
type Security = Record<string, string[]>[];
type Parsed<S> = S extends Schema ? z.output<S> : undefined;

/** One route as OpenAPI shows it: what it takes, what it answers, and how it fails. */
export interface RouteSpec<P, Q, B, R> {
  summary: string;
  description?: string;
  params?: P;
  querystring?: Q;
  body?: B;
  /** The answer, sent with `status` (200 unless said); none for a 202 or 204 without a body. */
  response?: R;
  status?: 200 | 201 | 202 | 204;
  /** The statuses it may answer with a plain problem+json. */
  problems: number[];
  /** Other answers with their own schema: a 201 beside the 200, a 402 with usage, a 422 with errors. */
  responses?: Record<number, Schema>;
  /** The group's unless said. */
  security?: Security | null;
  /** Runs before the input is validated (a route that hides itself from most callers). */
  preValidation?: preValidationAsyncHookHandler;
  /** The route's own fastify settings, e.g. a rate limit of its own (`{ rateLimit: {...} }`). */
  config?: FastifyContextConfig;
}

export type RouteRequest<P, Q, B> = FastifyRequest<{
  Params: Parsed<P>;
  Querystring: Parsed<Q>;
  Body: Parsed<B>;
}>;

/**
 * What a handler gives back: the answer for the route's response schema, or the reply it sent
 * itself; anything for a route without a body (nothing of it is sent).
 */
type Answer<R> = R extends Schema ? z.input<R> | FastifyReply : unknown;

type Handler<P, Q, B, R> = (request: RouteRequest<P, Q, B>, reply: FastifyReply) => Promise<Answer<R>>;

type Register = <
  P extends Schema | undefined = undefined,
  Q extends Schema | undefined = undefined,
  B extends Schema | undefined = undefined,
  R extends Schema | undefined = undefined,
>(
  url: string,
  spec: RouteSpec<P, Q, B, R>,
  handler: Handler<P, Q, B, R>,
) => void;

export interface RouteGroup {
  get: Register;
  post: Register;
  put: Register;
  patch: Register;
  delete: Register;
}

/**
 * Routes that share OpenAPI tags and security (a bearer token unless said, null for routes anyone
 * may call). Each route names only what is its own; its handler returns the answer, which goes out
 * with the route's status, unless the handler has sent a reply itself (a stream, a file).
 */
export function routeGroup(
  app: ServiceApp,
  group: { tags: string[]; security?: Security | null },
): RouteGroup {
  const register =
    (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'): Register =>
    (url, spec, handler) => {
      const status = spec.status ?? 200;
      const security = [spec.security, group.security, bearerSecurity].find((s) => s !== undefined);
      const schema: FastifySchema = {
        tags: group.tags,
        ...(security && { security }),
        summary: spec.summary,
        ...(spec.description !== undefined && { description: spec.description }),
        ...(spec.params !== undefined && { params: spec.params }),
        ...(spec.querystring !== undefined && { querystring: spec.querystring }),
        ...(spec.body !== undefined && { body: spec.body }),
        response: {
          [status]: spec.response ?? z.null(),
          ...spec.responses,
          ...problemResponses(...spec.problems.filter((code) => !spec.responses?.[code])),
        },
      };
      // Typed at the group's boundary (RouteSpec ties the handler to its schemas); fastify's own
      // inference cannot follow a schema built here.
      (app as unknown as FastifyInstance).route({
        method,
        url,
        schema,
        ...(spec.preValidation && { preValidation: spec.preValidation }),
        ...(spec.config && { config: spec.config }),
        handler: async (request, reply) => {
          const answer = await handler(request as never, reply);
          if (reply.sent) return reply;
          return reply.code(status).send(spec.response === undefined ? null : answer);
        },
      });
    };
  return {
    get: register('GET'),
    post: register('POST'),
    put: register('PUT'),
    patch: register('PATCH'),
    delete: register('DELETE'),
  };
}
