import { loadDotEnv } from '@conduit/config';
import { createLogger } from '@conduit/service-kit';
import { startTelemetry } from '@conduit/telemetry';
import { loadEnv } from './env.js';
import { migrateIdentity } from './runtime.js';

/**
 * What every identity process (the HTTP server, the job worker) does before its own work: read
 * the settings (failing loudly), start tracing and the logger under the process's name, and apply
 * pending migrations (under an advisory lock, so processes starting together do not race).
 */
export async function bootIdentityProcess(name: 'identity' | 'identity-worker') {
  loadDotEnv();
  const env = loadEnv();
  const telemetry = startTelemetry({ serviceName: name, otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT });
  const log = createLogger({ service: name, level: env.LOG_LEVEL, pretty: env.LOG_PRETTY });
  await migrateIdentity(env, log);
  return { env, log, telemetry };
}
