import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery, readableText } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import { workflowStatuses } from '../db/schema.js';
import type { WorkflowDeps } from '../deps.js';
import { copyWorkflow } from '../domain/workflows/copy-workflow.js';
import { createWorkflow } from '../domain/workflows/create-workflow.js';
import { deleteWorkflow } from '../domain/workflows/delete-workflow.js';
import { exportWorkflow, importWorkflow, workflowExport } from '../domain/workflows/export-workflow.js';
import { getWorkflow } from '../domain/workflows/get-workflow.js';
import { listVersions } from '../domain/workflows/list-versions.js';
import { listWorkflows } from '../domain/workflows/list-workflows.js';
import { updateWorkflow } from '../domain/workflows/update-workflow.js';
import { workflowDocument } from '../domain/workflows/workflow-document.js';
import { workflowDto, workflowSummaryDto } from '../domain/workflows/workflow-dto.js';

export const workflowParams = z.object({ workflowId: z.uuid() });

/** Workflows as whole documents, their versions, import and export; registered behind `authenticate`. */
export function workflowRoutes(app: ServiceApp, deps: WorkflowDeps) {
  const route = routeGroup(app, { tags: ['workflows'] });
  route.post(
    '/v1/workflows',
    {
      summary: "Create a workflow from a whole document (mine, or one of my teams')",
      body: workflowDocument.extend({ teamId: z.uuid().optional() }),
      status: 201,
      response: workflowDto,
      problems: [400, 401, 403, 404, 422],
    },
    (request) => createWorkflow(deps, requireActor(request), request.body),
  );

  route.post(
    '/v1/workflows/import',
    {
      summary: 'Create a workflow (as a draft) from an export',
      body: workflowExport.extend({ teamId: z.uuid().optional() }),
      status: 201,
      response: workflowDto,
      problems: [400, 401, 403, 404, 422],
    },
    (request) => importWorkflow(deps, requireActor(request), request.body),
  );

  route.get(
    '/v1/workflows',
    {
      summary: "Workflows I can read: mine, my teams', public ones",
      querystring: pageQuery.extend({
        status: z.enum(workflowStatuses).optional(),
      }),
      response: pageOf(workflowSummaryDto),
      problems: [400, 401],
    },
    (request) => listWorkflows(deps, requireActor(request), request.query),
  );

  route.get(
    '/v1/workflows/:workflowId',
    {
      summary: 'A workflow, whole: its fields, nodes and connections',
      params: workflowParams,
      response: workflowDto,
      problems: [400, 401, 404],
    },
    (request) => getWorkflow(deps, requireActor(request), request.params.workflowId),
  );

  route.put(
    '/v1/workflows/:workflowId',
    {
      summary: 'Replace a workflow with a whole document (a new version)',
      params: workflowParams,
      body: workflowDocument,
      response: workflowDto,
      problems: [400, 401, 403, 404, 422],
    },
    (request) => updateWorkflow(deps, requireActor(request), request.params.workflowId, request.body),
  );

  route.delete(
    '/v1/workflows/:workflowId',
    {
      summary: 'Delete a workflow with its versions and executions',
      params: workflowParams,
      status: 204,
      problems: [400, 401, 403, 404],
    },
    (request) => deleteWorkflow(deps, requireActor(request), request.params.workflowId),
  );

  route.get(
    '/v1/workflows/:workflowId/versions',
    {
      summary: 'Every saved version of a workflow, newest first',
      params: workflowParams,
      querystring: pageQuery,
      response: pageOf(
        z.object({
          version: z.int(),
          createdBy: z.uuid(),
          createdAt: z.string(),
          document: workflowDocument,
        }),
      ),
      problems: [400, 401, 404],
    },
    (request) => listVersions(deps, requireActor(request), request.params.workflowId, request.query),
  );

  route.post(
    '/v1/workflows/:workflowId/copy',
    {
      summary: 'Copy a workflow I may read (mine, shared with me, or public) into a draft of mine',
      params: workflowParams,
      body: z
        .object({ name: readableText(200).optional(), teamId: z.uuid().optional() })
        .strict()
        .default({}),
      status: 201,
      response: workflowDto,
      problems: [400, 401, 403, 404, 422],
    },
    (request) => copyWorkflow(deps, requireActor(request), request.params.workflowId, request.body),
  );

  route.get(
    '/v1/workflows/:workflowId/export',
    {
      summary: 'A workflow as an export document (import it with POST /v1/workflows/import)',
      params: workflowParams,
      response: workflowExport,
      problems: [400, 401, 404],
    },
    (request) => exportWorkflow(deps, requireActor(request), request.params.workflowId),
  );
}
