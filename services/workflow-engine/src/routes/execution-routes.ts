import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery, storableJsonObject } from '@conduit/contracts';
import { problemResponses, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import { executionStatuses, triggerTypes } from '../db/schema.js';
import type { WorkflowDeps } from '../deps.js';
import { cancelExecution } from '../domain/executions/cancel-execution.js';
import { deleteExecution } from '../domain/executions/delete-execution.js';
import { executionDetailDto, executionDto } from '../domain/executions/execution-dto.js';
import { getExecution } from '../domain/executions/get-execution.js';
import { listExecutions } from '../domain/executions/list-executions.js';
import { retryExecution } from '../domain/executions/retry-execution.js';
import { runWorkflow } from '../domain/executions/run-workflow.js';
import { executionStreamRoute } from './execution-stream-route.js';
import { limitProblem } from './limit-problem.js';
import { workflowParams } from './workflow-routes.js';

const tags = ['executions'];
const security = [{ bearer: [] }];
const executionParams = z.object({ executionId: z.uuid() });

/** Manual runs and the executions API; registered behind `authenticate`. */
export function executionRoutes(app: ServiceApp, deps: WorkflowDeps) {
  app.post(
    '/v1/workflows/:workflowId/run',
    {
      schema: {
        tags,
        security,
        summary: 'Run a workflow by hand (from its manual trigger) with input items',
        params: workflowParams,
        body: z
          .object({
            input: z
              .array(storableJsonObject({ maxDepth: 16, maxBytes: 256 * 1024 }))
              .max(1000)
              .default([]),
            triggerNode: z.string().min(1).max(100).optional(),
          })
          .strict()
          .default({ input: [] }),
        response: {
          202: z.object({ executionId: z.uuid(), status: z.literal('queued') }),
          402: limitProblem,
          ...problemResponses(400, 401, 403, 404, 422),
        },
      },
    },
    async (request, reply) =>
      reply
        .code(202)
        .send(await runWorkflow(deps, requireActor(request), request.params.workflowId, request.body)),
  );

  app.get(
    '/v1/executions',
    {
      schema: {
        tags,
        security,
        summary: 'Executions of the workflows whose runs I may see, newest first',
        querystring: pageQuery.extend({
          workflowId: z.uuid().optional(),
          status: z.enum(executionStatuses).optional(),
          triggerType: z.enum(triggerTypes).optional(),
          from: z.iso.datetime({ offset: true }).optional(),
          to: z.iso.datetime({ offset: true }).optional(),
        }),
        response: { 200: pageOf(executionDto), ...problemResponses(400, 401) },
      },
    },
    async (request) => listExecutions(deps, requireActor(request), request.query),
  );

  app.get(
    '/v1/executions/:executionId',
    {
      schema: {
        tags,
        security,
        summary: 'One execution with its node runs',
        params: executionParams,
        response: { 200: executionDetailDto, ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => getExecution(deps, requireActor(request), request.params.executionId),
  );

  app.post(
    '/v1/executions/:executionId/retry',
    {
      schema: {
        tags,
        security,
        summary:
          'Run a finished execution again: from the failed node on the same version (earlier results reused), or from the start on the current version',
        params: executionParams,
        body: z
          .object({ mode: z.enum(['from-failed', 'from-start']).default('from-failed') })
          .strict()
          .default({ mode: 'from-failed' }),
        response: {
          202: z.object({ executionId: z.uuid(), status: z.literal('queued') }),
          402: limitProblem,
          ...problemResponses(400, 401, 403, 404, 409, 422),
        },
      },
    },
    async (request, reply) =>
      reply
        .code(202)
        .send(
          await retryExecution(deps, requireActor(request), request.params.executionId, request.body.mode),
        ),
  );

  app.delete(
    '/v1/executions/:executionId',
    {
      schema: {
        tags,
        security,
        summary: 'Delete a finished execution with its node runs',
        params: executionParams,
        response: { 204: z.null(), ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await deleteExecution(deps, requireActor(request), request.params.executionId);
      return reply.code(204).send(null);
    },
  );

  executionStreamRoute(app, deps);

  app.post(
    '/v1/executions/:executionId/cancel',
    {
      schema: {
        tags,
        security,
        summary: 'Cancel an execution that has not finished',
        params: executionParams,
        response: { 200: executionDto, ...problemResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => cancelExecution(deps, requireActor(request), request.params.executionId),
  );
}
