import { loadDotEnv } from '@conduit/config';
import { createLogger, runServer } from '@conduit/service-kit';
import { startTelemetry } from '@conduit/telemetry';
import { Redis } from 'ioredis';
import { buildGateway } from './app.js';
import { loadEnv } from './env.js';

loadDotEnv();
const env = loadEnv();
const telemetry = startTelemetry({ serviceName: 'gateway', otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT });
const log = createLogger({ service: 'gateway', level: env.LOG_LEVEL, pretty: env.LOG_PRETTY });
const redis = new Redis(env.REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
redis.on('error', (error) =>
  log.warn({ err: error }, 'redis unavailable; rate limits are not enforced meanwhile'),
);

const app = await buildGateway({ env, log, redis });
app.addHook('onClose', async () => {
  redis.disconnect();
  await telemetry.shutdown();
});
const address = await runServer(app, { port: env.GATEWAY_PORT, host: env.GATEWAY_HOST });
log.info(`gateway listening on ${address}; API docs at ${address}/docs`);
