export { buildService, type ServiceApp, type ServiceOptions, type ReadinessChecks } from './build-service.js';
export { DomainError, errorCodes, statusOf, type ErrorCode } from './errors.js';
export { problemReply, problemBody } from './problem.js';
export { createLogger, type Logger } from './logger.js';
export { runServer } from './run-server.js';
export { validRequestId, REQUEST_ID_HEADER } from './request-id.js';
export type { ZodTypeProvider } from 'fastify-type-provider-zod';
export { problemResponses } from './problem-responses.js';
