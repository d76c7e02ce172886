import type { ReadinessChecks } from './build-service.js';

/** The readiness checks of a service's usual connections: Postgres, Redis and NATS. */
export function dependencyChecks(connections: {
  sql?: (strings: TemplateStringsArray) => Promise<unknown>;
  redis?: { ping(): Promise<unknown> };
  bus?: { isConnected(): boolean };
}): ReadinessChecks {
  const { sql, redis, bus } = connections;
  return {
    ...(sql ? { postgres: () => sql`select 1` } : {}),
    ...(redis ? { redis: () => redis.ping() } : {}),
    ...(bus
      ? {
          nats: async () => {
            if (!bus.isConnected()) throw new Error('not connected');
          },
        }
      : {}),
  };
}
