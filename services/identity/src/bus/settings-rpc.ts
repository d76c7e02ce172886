import { type Bus, type RpcServer, serveRpc } from '@conduit/bus';
import { getGlobalSettings } from '@conduit/contracts';
import type { Database } from '@conduit/db';
import type { Logger } from '@conduit/service-kit';
import { readSettings } from '../domain/settings/get-settings.js';

/**
 * Serves `rpc.identity.settings.get` in the `identity` queue group: the global settings for the
 * services that act on them (conversation's default model). None of them is a secret.
 */
export function serveSettingsRpc(bus: Bus, db: Database, log: Logger): RpcServer {
  return serveRpc(
    bus,
    getGlobalSettings,
    'identity',
    () => readSettings(db),
    (error) => log.error({ err: error }, `${getGlobalSettings.subject} failed`),
  );
}
