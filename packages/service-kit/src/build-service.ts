import type { IncomingMessage, ServerResponse } from 'node:http';
import { DomainError, type ErrorCode } from '@conduit/errors';
import swagger from '@fastify/swagger';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  LogController,
  type RawServerDefault,
} from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  isResponseSerializationError,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { z } from 'zod';
import { statusOf } from './http-status.js';
import { loggableError } from './loggable-error.js';
import type { Logger } from './logger.js';
import { problemReply } from './problem.js';
import { generateRequestId, REQUEST_ID_HEADER } from './request-id.js';
import { logAnswer } from './request-log.js';
import { requestLogger } from './request-logger.js';
import { refuseUnstorableInput } from './storable-input.js';
import { endRequestSpan, enterRequestSpan, startRequestSpan } from './tracing-hooks.js';

export type ServiceApp = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/**
 * Dependency checks for /health/ready, e.g. `{ postgres: () => sql\`select 1\` }`. A check marked
 * `required: false` is reported (status `degraded`) without making the service unready: the
 * gateway stays in rotation when one service behind it is down.
 */
export type ReadinessChecks = Record<
  string,
  (() => Promise<unknown>) | { check: () => Promise<unknown>; required: false }
>;

export interface ServiceOptions {
  name: string;
  version?: string;
  description?: string;
  logger: Logger;
  readiness?: ReadinessChecks;
  bodyLimit?: number;
  /** Whether fastify should trust X-Forwarded-For (true behind the gateway). */
  trustProxy?: boolean | string | string[];
  /** Requests slower than this are logged (warn); others only at debug. Default 1000 ms. */
  slowRequestMs?: number;
  /**
   * Refuse text and JSON Postgres cannot store in every request (default true). Only a proxy that
   * reads nothing turns it off, leaving each service to refuse with the field's own name.
   */
  refuseUnstorable?: boolean;
}

/** Fastify errors that are the client's fault, by fastify error code. */
const clientErrors: Record<string, { code: ErrorCode; detail: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    code: 'payload_too_large',
    detail: 'The request body is larger than this endpoint accepts.',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'unsupported_media_type',
    detail: 'This endpoint does not accept that content type; send application/json.',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    code: 'malformed_body',
    detail: 'The body is empty but the content type says JSON.',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'malformed_body', detail: 'The body is not valid JSON.' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: 'bad_request',
    detail: 'The Content-Length header does not match the body.',
  },
  FST_ERR_CTP_INVALID_TYPE: { code: 'unsupported_media_type', detail: 'The Content-Type header is invalid.' },
};

function errorFor(error: FastifyError): { code: ErrorCode; detail: string } | undefined {
  const known = clientErrors[error.code];
  if (known) return known;
  // JSON.parse and secure-json-parse failures (including __proto__ poisoning) arrive as 400s.
  if (
    error instanceof SyntaxError ||
    (error.statusCode === 400 && /JSON|__proto__|constructor/.test(error.message))
  ) {
    return {
      code: 'malformed_body',
      detail: 'The body is not valid JSON or contains forbidden keys such as __proto__.',
    };
  }
  return undefined;
}

/**
 * A fastify app with everything a Conduit service shares: zod validation and serialization,
 * problem+json errors, request ids, a server span per request, /health/live and /health/ready,
 * and OpenAPI at /openapi.json. Routes are registered by the caller; nothing listens here.
 */
export async function buildService(options: ServiceOptions): Promise<ServiceApp> {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    // Requests are logged by our own hook (slow ones and errors always), not fastify's two lines.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: requestLogger,
    genReqId: generateRequestId,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    trustProxy: options.trustProxy ?? false,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // Long path parameters reach the schema (and get a 400 problem) instead of a bare 414.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 2048 },
    // A path fastify cannot decode (a lone surrogate's bytes, %-escapes that are not UTF-8) is
    // the client's fault: a 400 problem like any other, not fastify's own JSON.
    frameworkErrors: (error, request, reply) => {
      reply.header(REQUEST_ID_HEADER, request.id);
      problemReply(
        request,
        reply,
        'bad_request',
        error.code === 'FST_ERR_BAD_URL'
          ? 'The URL is not valid: a path segment is not UTF-8 text.'
          : 'The request could not be routed.',
      );
    },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // One hook per stage, each a plain callback: every request passes them, and an async hook
  // costs a promise and its resolution per request.
  const slowRequestMs = options.slowRequestMs ?? 1000;
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    startRequestSpan(request);
    done();
  });
  app.addHook('preHandler', enterRequestSpan);
  app.addHook('onResponse', (request, reply, done) => {
    logAnswer(request, reply, slowRequestMs);
    endRequestSpan(request, reply);
    done();
  });
  if (options.refuseUnstorable !== false) app.addHook('preValidation', refuseUnstorableInput);

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof DomainError) {
      if (error.extra.retryAfterSeconds !== undefined)
        reply.header('retry-after', String(Math.max(1, Math.ceil(error.extra.retryAfterSeconds))));
      if (statusOf(error.code) >= 500) request.log.error({ err: loggableError(error) }, 'request failed');
      return problemReply(request, reply, error.code, error.detail, error.extra.fields ?? {});
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const errors = error.validation.map((issue) => ({
        path: [error.validationContext, ...issue.instancePath.split('/').filter(Boolean)].join('.'),
        message: issue.message ?? 'is invalid',
      }));
      return problemReply(
        request,
        reply,
        'validation_failed',
        `The request is invalid: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`,
        { errors },
      );
    }
    const client = errorFor(error);
    if (client) return problemReply(request, reply, client.code, client.detail);
    if (error.statusCode === 429) {
      return problemReply(
        request,
        reply,
        'rate_limited',
        'Too many requests; retry after the time in the Retry-After header.',
      );
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      request.log.warn({ err: error }, 'unmapped client error');
      return problemReply(request, reply, 'bad_request', error.message);
    }
    request.log.error(
      { err: loggableError(error), serialization: isResponseSerializationError(error) },
      'request failed',
    );
    return problemReply(
      request,
      reply,
      'internal',
      'Something went wrong on our side. Quote the request id when reporting it.',
    );
  });

  app.setNotFoundHandler((request, reply) =>
    problemReply(request, reply, 'not_found', `No route ${request.method} ${request.url.split('?')[0]}.`),
  );

  await (app as unknown as FastifyInstance).register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: `Conduit ${options.name}`,
        version: options.version ?? '0.1.0',
        description: options.description,
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
    transform: jsonSchemaTransform,
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/health/live', { logLevel: 'warn', schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get(
    '/health/ready',
    { logLevel: 'warn', schema: { hide: true, response: { 200: readiness, 503: readiness } } },
    async (_request, reply) => {
      const results = await Promise.all(
        Object.entries(options.readiness ?? {}).map(async ([name, entry]) => {
          const required = typeof entry === 'function';
          try {
            await withTimeout(required ? entry() : entry.check(), 2000);
            return { name, required, state: 'ok' };
          } catch (error) {
            return { name, required, state: `failing: ${(error as Error).message}` };
          }
        }),
      );
      const failing = results.filter((result) => result.state !== 'ok');
      const status = failing.some((result) => result.required)
        ? 'unavailable'
        : failing.length
          ? 'degraded'
          : 'ok';
      return reply
        .code(status === 'unavailable' ? 503 : 200)
        .send({ status, checks: Object.fromEntries(results.map((result) => [result.name, result.state])) });
    },
  );
  return app;
}

const readiness = z.object({
  status: z.enum(['ok', 'degraded', 'unavailable']),
  checks: z.record(z.string(), z.string()),
});

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
    }),
  ]);
}
