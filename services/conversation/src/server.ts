import { loadDotEnv } from '@conduit/config';
import { createLogger, runServer } from '@conduit/service-kit';
import { startTelemetry } from '@conduit/telemetry';
import { loadEnv } from './env.js';
import { migrateConversation, startConversation } from './runtime.js';

loadDotEnv();
const env = loadEnv();
const telemetry = startTelemetry({
  serviceName: 'conversation',
  otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
});
const log = createLogger({ service: 'conversation', level: env.LOG_LEVEL, pretty: env.LOG_PRETTY });
// Under an advisory lock: replicas starting together do not race.
await migrateConversation(env, log);
const { app } = await startConversation(env, log);
app.addHook('onClose', () => telemetry.shutdown());
await runServer(app, { port: env.CONVERSATION_PORT, host: env.CONVERSATION_HOST });
