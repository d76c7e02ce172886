import { defineService } from '@conduit/runtime';
import { buildGateway, type GatewayDeps } from './app.js';
import { type GatewayEnv, loadEnv } from './env.js';

/**
 * The gateway: no database and no bus; Redis for rate limits, and requests go on without it
 * (limits are not enforced meanwhile) rather than waiting for it.
 */
export const gatewayService = defineService<GatewayEnv, GatewayDeps>({
  name: 'gateway',
  loadEnv,
  redis: { failFast: true },
  listen: (env) => ({ port: env.GATEWAY_PORT, host: env.GATEWAY_HOST }),
  deps: ({ env, log, redis }) => ({ env, log, redis }),
  app: buildGateway,
});
