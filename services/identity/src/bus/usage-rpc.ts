import { type Bus, RpcError, type RpcServer, serveRpc } from '@conduit/bus';
import { reserveUsage as reserveUsageRpc } from '@conduit/contracts';
import type { Database } from '@conduit/db';
import type { Logger } from '@conduit/service-kit';
import { DomainError } from '@conduit/service-kit';
import { reserveUsage } from '../domain/usage/reserve-usage.js';

/**
 * Serves `rpc.identity.usage.reserve` in the `identity` queue group (one replica answers each
 * call). A thin adapter: the request is validated by serveRpc, the verb decides, and its
 * not_found becomes the RPC's not_found.
 */
export function serveUsageRpc(bus: Bus, db: Database, log: Logger): RpcServer {
  return serveRpc(
    bus,
    reserveUsageRpc,
    'identity',
    async (request) => {
      try {
        return await reserveUsage(db, request);
      } catch (error) {
        if (error instanceof DomainError && error.code === 'not_found')
          throw new RpcError('not_found', error.detail);
        throw error;
      }
    },
    (error) => log.error({ err: error }, `${reserveUsageRpc.subject} failed`),
  );
}
