import type { AddressCheck } from '@conduit/outbound-http';
import { createAddressCheck } from '@conduit/outbound-http';
import { parseKeyring, SecretBox } from '@conduit/secrets';
import type { Logger } from '@conduit/service-kit';
import type { AnalyticsEnv } from '../../env.js';
import { createSourcePools, type SourcePools } from './datasources/source-pools.js';

/** What the metrics layer holds for the life of a process: sealed secrets, checked hosts, pools. */
export interface MetricsRuntime {
  box: SecretBox;
  addresses: AddressCheck;
  pools: SourcePools;
  rowCap: number;
  cacheTtlMs: number;
  /** The time relative date ranges are read at; tests may set it. */
  now: () => Date;
}

export function createMetricsRuntime(
  env: AnalyticsEnv,
  log: Logger,
  onClose: (name: string, close: () => Promise<unknown>) => void,
): MetricsRuntime {
  const addresses = createAddressCheck(env.METRICS_ALLOWED_HOSTS);
  const pools = createSourcePools({
    addresses,
    log,
    settings: {
      poolSize: env.METRICS_POOL_SIZE,
      idleTimeoutMs: env.METRICS_POOL_IDLE,
      connectTimeoutMs: env.METRICS_CONNECT_TIMEOUT,
      statementTimeoutMs: env.METRICS_STATEMENT_TIMEOUT,
    },
  });
  onClose('metrics data source pools', () => pools.closeAll());
  return {
    box: new SecretBox(parseKeyring(env.ENCRYPTION_KEYS)),
    addresses,
    pools,
    rowCap: env.METRICS_ROW_CAP,
    cacheTtlMs: env.METRICS_CACHE_TTL,
    now: () => new Date(),
  };
}
