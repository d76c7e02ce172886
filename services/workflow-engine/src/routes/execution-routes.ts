import { requireActor } from '@conduit/auth';
import { limitProblemSchema, pageOf, pageQuery, storableJsonObject } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
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
import { workflowParams } from './workflow-routes.js';

const executionParams = z.object({ executionId: z.uuid() });

/** Manual runs and the executions API; registered behind `authenticate`. */
export function executionRoutes(app: ServiceApp, deps: WorkflowDeps) {
  const route = routeGroup(app, { tags: ['executions'] });
  route.post(
    '/v1/workflows/:workflowId/run',
    {
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
      status: 202,
      response: z.object({ executionId: z.uuid(), status: z.literal('queued') }),
      responses: { 402: limitProblemSchema },
      problems: [400, 401, 403, 404, 422],
    },
    (request) => runWorkflow(deps, requireActor(request), request.params.workflowId, request.body),
  );

  route.get(
    '/v1/executions',
    {
      summary: 'Executions of the workflows whose runs I may see, newest first',
      querystring: pageQuery.extend({
        workflowId: z.uuid().optional(),
        status: z.enum(executionStatuses).optional(),
        triggerType: z.enum(triggerTypes).optional(),
        from: z.iso.datetime({ offset: true }).optional(),
        to: z.iso.datetime({ offset: true }).optional(),
      }),
      response: pageOf(executionDto),
      problems: [400, 401],
    },
    (request) => listExecutions(deps, requireActor(request), request.query),
  );

  route.get(
    '/v1/executions/:executionId',
    {
      summary: 'One execution with its node runs',
      params: executionParams,
      response: executionDetailDto,
      problems: [400, 401, 404],
    },
    (request) => getExecution(deps, requireActor(request), request.params.executionId),
  );

  route.post(
    '/v1/executions/:executionId/retry',
    {
      summary:
        'Run a finished execution again: from the failed node on the same version (earlier results reused), or from the start on the current version',
      params: executionParams,
      body: z
        .object({ mode: z.enum(['from-failed', 'from-start']).default('from-failed') })
        .strict()
        .default({ mode: 'from-failed' }),
      status: 202,
      response: z.object({ executionId: z.uuid(), status: z.literal('queued') }),
      responses: { 402: limitProblemSchema },
      problems: [400, 401, 403, 404, 409, 422],
    },
    (request) => retryExecution(deps, requireActor(request), request.params.executionId, request.body.mode),
  );

  route.delete(
    '/v1/executions/:executionId',
    {
      summary: 'Delete a finished execution with its node runs',
      params: executionParams,
      status: 204,
      problems: [400, 401, 403, 404, 409],
    },
    (request) => deleteExecution(deps, requireActor(request), request.params.executionId),
  );

  executionStreamRoute(app, deps);

  route.post(
    '/v1/executions/:executionId/cancel',
    {
      summary: 'Cancel an execution that has not finished',
      params: executionParams,
      response: executionDto,
      problems: [400, 401, 403, 404, 409],
    },
    (request) => cancelExecution(deps, requireActor(request), request.params.executionId),
  );
}
