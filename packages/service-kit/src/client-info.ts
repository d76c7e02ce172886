import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';

/**
 * The client's address, as recorded on sessions and tokens and counted by identity's login throttle. A
 * trusted proxy passes on whatever X-Forwarded-For it was sent, so the nearest hop that is a plain
 * IP address counts: never a string the `inet` columns would refuse (a 500 that would also tell
 * which emails have accounts).
 */
function clientAddress(request: FastifyRequest): string {
  const hops = request.ips ?? [request.ip];
  return (
    hops.findLast((hop) => isIP(hop) !== 0 && !hop.includes('%')) ?? request.socket.remoteAddress ?? '0.0.0.0'
  );
}

/** Who is calling, as sessions, tokens and audit records note it. */
export interface ClientInfo {
  ip: string;
  userAgent: string | undefined;
}

export const clientInfo = (request: FastifyRequest): ClientInfo => ({
  ip: clientAddress(request),
  userAgent: request.headers['user-agent'],
});
