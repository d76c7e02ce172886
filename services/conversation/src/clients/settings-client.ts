import { type Bus, requestRpc } from '@conduit/bus';
import { getGlobalSettings } from '@conduit/contracts';

/** The platform's settings as identity answers them (rpc.identity.settings.get); throws as the RPC does. */
export function globalSettingsOf(bus: Bus, timeoutMs: number) {
  return requestRpc(bus, getGlobalSettings, {}, { timeoutMs });
}
