import { loadDotEnv } from '@conduit/config';
import { createLogger, runServer } from '@conduit/service-kit';
import { startTelemetry } from '@conduit/telemetry';
import { loadEnv } from './env.js';
import { migrateIdentity, startIdentity } from './runtime.js';

loadDotEnv();
const env = loadEnv();
const telemetry = startTelemetry({ serviceName: 'identity', otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT });
const log = createLogger({ service: 'identity', level: env.LOG_LEVEL, pretty: env.LOG_PRETTY });

await migrateIdentity(env, log);
const { app } = await startIdentity(env, log);
app.addHook('onClose', () => telemetry.shutdown());
await runServer(app, { port: env.IDENTITY_PORT, host: env.IDENTITY_HOST });
