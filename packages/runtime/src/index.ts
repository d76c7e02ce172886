export { Closers } from './closers.js';
export { migrateService, runHttp, runMigrate, runWorker } from './run-process.js';
export {
  type BackgroundTask,
  consumeEvent,
  defineService,
  type EventConsumer,
  type ProcessRole,
  type RuntimeEnv,
  type ServiceConnections,
  type ServiceDefinition,
  type WorkerDefinition,
} from './service-definition.js';
export {
  type RunningHttp,
  type RunningWorker,
  type StartOptions,
  startHttp,
  startWorkerProcess,
} from './start-service.js';
