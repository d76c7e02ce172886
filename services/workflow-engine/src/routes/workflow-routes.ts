import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery, readableText } from '@conduit/contracts';
import { problemResponses, type ServiceApp } from '@conduit/service-kit';
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

const tags = ['workflows'];
const security = [{ bearer: [] }];
export const workflowParams = z.object({ workflowId: z.uuid() });

/** Workflows as whole documents, their versions, import and export; registered behind `authenticate`. */
export function workflowRoutes(app: ServiceApp, deps: WorkflowDeps) {
  app.post(
    '/v1/workflows',
    {
      schema: {
        tags,
        security,
        summary: "Create a workflow from a whole document (mine, or one of my teams')",
        body: workflowDocument.extend({ teamId: z.uuid().optional() }),
        response: { 201: workflowDto, ...problemResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await createWorkflow(deps, requireActor(request), request.body)),
  );

  app.post(
    '/v1/workflows/import',
    {
      schema: {
        tags,
        security,
        summary: 'Create a workflow (as a draft) from an export',
        body: workflowExport.extend({ teamId: z.uuid().optional() }),
        response: { 201: workflowDto, ...problemResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await importWorkflow(deps, requireActor(request), request.body)),
  );

  app.get(
    '/v1/workflows',
    {
      schema: {
        tags,
        security,
        summary: "Workflows I can read: mine, my teams', public ones",
        querystring: pageQuery.extend({
          status: z.enum(workflowStatuses).optional(),
        }),
        response: { 200: pageOf(workflowSummaryDto), ...problemResponses(400, 401) },
      },
    },
    async (request) => listWorkflows(deps, requireActor(request), request.query),
  );

  app.get(
    '/v1/workflows/:workflowId',
    {
      schema: {
        tags,
        security,
        summary: 'A workflow, whole: its fields, nodes and connections',
        params: workflowParams,
        response: { 200: workflowDto, ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => getWorkflow(deps, requireActor(request), request.params.workflowId),
  );

  app.put(
    '/v1/workflows/:workflowId',
    {
      schema: {
        tags,
        security,
        summary: 'Replace a workflow with a whole document (a new version)',
        params: workflowParams,
        body: workflowDocument,
        response: { 200: workflowDto, ...problemResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request) => updateWorkflow(deps, requireActor(request), request.params.workflowId, request.body),
  );

  app.delete(
    '/v1/workflows/:workflowId',
    {
      schema: {
        tags,
        security,
        summary: 'Delete a workflow with its versions and executions',
        params: workflowParams,
        response: { 204: z.null(), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await deleteWorkflow(deps, requireActor(request), request.params.workflowId);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/workflows/:workflowId/versions',
    {
      schema: {
        tags,
        security,
        summary: 'Every saved version of a workflow, newest first',
        params: workflowParams,
        querystring: pageQuery,
        response: {
          200: pageOf(
            z.object({
              version: z.int(),
              createdBy: z.uuid(),
              createdAt: z.string(),
              document: workflowDocument,
            }),
          ),
          ...problemResponses(400, 401, 404),
        },
      },
    },
    async (request) => listVersions(deps, requireActor(request), request.params.workflowId, request.query),
  );

  app.post(
    '/v1/workflows/:workflowId/copy',
    {
      schema: {
        tags,
        security,
        summary: 'Copy a workflow I may read (mine, shared with me, or public) into a draft of mine',
        params: workflowParams,
        body: z
          .object({ name: readableText(200).optional(), teamId: z.uuid().optional() })
          .strict()
          .default({}),
        response: { 201: workflowDto, ...problemResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await copyWorkflow(deps, requireActor(request), request.params.workflowId, request.body)),
  );

  app.get(
    '/v1/workflows/:workflowId/export',
    {
      schema: {
        tags,
        security,
        summary: 'A workflow as an export document (import it with POST /v1/workflows/import)',
        params: workflowParams,
        response: { 200: workflowExport, ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => exportWorkflow(deps, requireActor(request), request.params.workflowId),
  );
}
