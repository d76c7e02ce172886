import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from './logger.js';

/** buildService's request loggers are pino's or request-logger.ts's: both say which levels are on. */
const debugEnabled = (request: FastifyRequest) =>
  (request.log as unknown as Pick<Logger, 'isLevelEnabled'>).isLevelEnabled('debug');

/**
 * One line per request only where it tells something: a slow answer (warn) or a server error
 * (error; its cause is logged by the error handler). Every request is logged at debug. Fastify's
 * own two lines per request (info) cost more than the request itself on fast routes. onResponse.
 */
export function logAnswer(request: FastifyRequest, reply: FastifyReply, slowRequestMs: number) {
  const ms = reply.elapsedTime;
  const level =
    reply.statusCode >= 500
      ? 'error'
      : ms >= slowRequestMs
        ? 'warn'
        : debugEnabled(request)
          ? 'debug'
          : undefined;
  // Most requests are neither slow nor failed, and debug is off: nothing to build for them.
  if (level === undefined) return;
  const line = {
    method: request.method,
    url: request.url.split('?')[0],
    statusCode: reply.statusCode,
    ms: Math.round(ms * 10) / 10,
  };
  if (level === 'error') request.log.error(line, 'request answered with a server error');
  else if (level === 'warn') request.log.warn(line, 'slow request');
  else request.log.debug(line, 'request');
}
