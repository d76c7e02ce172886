export type { ZodTypeProvider } from 'fastify-type-provider-zod';
export { buildService, type ReadinessChecks, type ServiceApp, type ServiceOptions } from './build-service.js';
export { DomainError, type ErrorCode, errorCodes, statusOf } from './errors.js';
export { loggableError } from './loggable-error.js';
export { createLogger, type Logger } from './logger.js';
export { problemBody, problemReply } from './problem.js';
export { problemResponses } from './problem-responses.js';
export { REQUEST_ID_HEADER, validRequestId } from './request-id.js';
export { runServer } from './run-server.js';
