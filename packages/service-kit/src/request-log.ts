import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * One line per request only where it tells something: a slow answer (warn) or a server error
 * (error; its cause is logged by the error handler). Every request is logged at debug. Fastify's
 * own two lines per request (info) cost more than the request itself on fast routes. onResponse.
 */
export function logAnswer(request: FastifyRequest, reply: FastifyReply, slowRequestMs: number) {
  const ms = reply.elapsedTime;
  const line = {
    method: request.method,
    url: request.url.split('?')[0],
    statusCode: reply.statusCode,
    ms: Math.round(ms * 10) / 10,
  };
  if (reply.statusCode >= 500) request.log.error(line, 'request answered with a server error');
  else if (ms >= slowRequestMs) request.log.warn(line, 'slow request');
  else request.log.debug(line, 'request');
}
