export { defineJobs, type JobCatalog, type JobDefinition, type JobPayload } from './catalog.js';
export { redisForJobs } from './connection.js';
export { createProducer, type Producer } from './producer.js';
export { type ExhaustedJob, type JobHandlers, type RunningWorker, startWorker } from './worker.js';
