import type { ErrorCode } from '@conduit/errors';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { statusOf } from './http-status.js';

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** An RFC 9457 problem document. */
export function problemBody(
  code: ErrorCode,
  detail: string,
  requestId?: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const status = statusOf(code);
  return {
    type: `urn:problem:conduit:${code}`,
    title: titles[status] ?? 'Error',
    status,
    detail,
    code,
    requestId,
    ...extra,
  };
}

export function problemReply(
  request: FastifyRequest,
  reply: FastifyReply,
  code: ErrorCode,
  detail: string,
  extra: Record<string, unknown> = {},
): FastifyReply {
  return reply
    .code(statusOf(code))
    .type('application/problem+json')
    .send(problemBody(code, detail, request.id, extra));
}
