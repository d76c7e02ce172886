import { loadDotEnv } from '@conduit/config';
import { createLogger } from '@conduit/service-kit';
import { startTelemetry } from '@conduit/telemetry';
import { loadEnv } from './env.js';
import { migrateKnowledge, startKnowledgeWorkerProcess } from './runtime.js';

/** The indexing worker's entrypoint: scales apart from the HTTP side. SIGTERM lets jobs finish. */
loadDotEnv();
const env = loadEnv();
const telemetry = startTelemetry({
  serviceName: 'knowledge-base-worker',
  otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
});
const log = createLogger({ service: 'knowledge-base-worker', level: env.LOG_LEVEL, pretty: env.LOG_PRETTY });

await migrateKnowledge(env, log);
const worker = await startKnowledgeWorkerProcess(env, log);
log.info('knowledge-base worker running');

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  log.info('knowledge-base worker stopping');
  await worker.stop();
  await telemetry.shutdown();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
