import { loadDotEnv } from '@conduit/config';
import { createLogger, runServer } from '@conduit/service-kit';
import { startTelemetry } from '@conduit/telemetry';
import { loadEnv } from './env.js';
import { migrateKnowledge, startKnowledgeBase } from './runtime.js';

loadDotEnv();
const env = loadEnv();
const telemetry = startTelemetry({
  serviceName: 'knowledge-base',
  otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
});
const log = createLogger({ service: 'knowledge-base', level: env.LOG_LEVEL, pretty: env.LOG_PRETTY });

await migrateKnowledge(env, log);
const { app } = await startKnowledgeBase(env, log);
app.addHook('onClose', () => telemetry.shutdown());
await runServer(app, { port: env.KNOWLEDGE_BASE_PORT, host: env.KNOWLEDGE_BASE_HOST });
