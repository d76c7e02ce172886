import { type Bus, type RpcServer, serveRpc } from '@conduit/bus';
import { releaseUsage as releaseUsageRpc, reserveUsage as reserveUsageRpc } from '@conduit/contracts';
import type { Database } from '@conduit/db';
import type { Logger } from '@conduit/service-kit';
import { releaseUsage } from '../domain/usage/release-usage.js';
import { reserveUsage } from '../domain/usage/reserve-usage.js';

/**
 * Serves `rpc.identity.usage.reserve` and `rpc.identity.usage.release` in the `identity` queue
 * group (one replica answers each call). Thin adapters: the request is validated by serveRpc, the
 * verb decides, and serveRpc maps its DomainError (not_found when the subject has no subscription).
 */
export function serveUsageRpc(bus: Bus, db: Database, log: Logger): RpcServer {
  const servers = [
    serveRpc(
      bus,
      reserveUsageRpc,
      'identity',
      (request) => reserveUsage(db, request),
      (error) => log.error({ err: error }, `${reserveUsageRpc.subject} failed`),
    ),
    serveRpc(
      bus,
      releaseUsageRpc,
      'identity',
      (request) => releaseUsage(db, request),
      (error) => log.error({ err: error }, `${releaseUsageRpc.subject} failed`),
    ),
  ];
  return { stop: async () => void (await Promise.all(servers.map((server) => server.stop()))) };
}
