import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery, readableText, storableText } from '@conduit/contracts';
import { problemResponses, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { WorkflowDeps } from '../deps.js';
import { createTemplate } from '../domain/templates/create-template.js';
import { deleteTemplate } from '../domain/templates/delete-template.js';
import { getTemplate } from '../domain/templates/get-template.js';
import { listTemplates } from '../domain/templates/list-templates.js';
import { templateCategory, templateDto, templateSummaryDto } from '../domain/templates/template-dto.js';
import { useTemplate } from '../domain/templates/use-template.js';
import { workflowDocument } from '../domain/workflows/workflow-document.js';
import { workflowDto } from '../domain/workflows/workflow-dto.js';

const tags = ['templates'];
const security = [{ bearer: [] }];
const templateParams = z.object({ templateId: z.uuid() });

/**
 * Workflow templates: the official ones and the caller's own. Under /v1/workflows/templates (the
 * gateway's workflow prefix; these static paths win over /v1/workflows/:workflowId).
 */
export function templateRoutes(app: ServiceApp, deps: WorkflowDeps) {
  app.get(
    '/v1/workflows/templates',
    {
      schema: {
        tags,
        security,
        summary: "Templates I may use: the official ones, mine and my teams'",
        querystring: pageQuery.extend({
          category: templateCategory.optional(),
          official: z
            .enum(['true', 'false'])
            .transform((value) => value === 'true')
            .optional(),
        }),
        response: { 200: pageOf(templateSummaryDto), ...problemResponses(400, 401) },
      },
    },
    async (request) => listTemplates(deps, requireActor(request), request.query),
  );

  app.get(
    '/v1/workflows/templates/:templateId',
    {
      schema: {
        tags,
        security,
        summary: 'A template with its workflow document',
        params: templateParams,
        response: { 200: templateDto, ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => getTemplate(deps, requireActor(request), request.params.templateId),
  );

  app.post(
    '/v1/workflows/templates',
    {
      schema: {
        tags,
        security,
        summary: 'Save a workflow document as a template of mine (or of one of my teams)',
        body: z
          .object({
            name: readableText(200),
            description: storableText(4000).nullable().default(null),
            category: templateCategory,
            document: workflowDocument,
            teamId: z.uuid().optional(),
          })
          .strict(),
        response: { 201: templateDto, ...problemResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await createTemplate(deps, requireActor(request), request.body)),
  );

  app.delete(
    '/v1/workflows/templates/:templateId',
    {
      schema: {
        tags,
        security,
        summary: 'Delete a template of mine (official ones stay)',
        params: templateParams,
        response: { 204: z.null(), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await deleteTemplate(deps, requireActor(request), request.params.templateId);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/workflows/templates/:templateId/use',
    {
      schema: {
        tags,
        security,
        summary: 'Create a draft workflow from a template',
        params: templateParams,
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
        .send(await useTemplate(deps, requireActor(request), request.params.templateId, request.body)),
  );
}
