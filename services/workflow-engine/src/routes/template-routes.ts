import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery, readableText, storableText } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
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

const templateParams = z.object({ templateId: z.uuid() });

/**
 * Workflow templates: the official ones and the caller's own. Under /v1/workflows/templates (the
 * gateway's workflow prefix; these static paths win over /v1/workflows/:workflowId).
 */
export function templateRoutes(app: ServiceApp, deps: WorkflowDeps) {
  const route = routeGroup(app, { tags: ['templates'] });
  route.get(
    '/v1/workflows/templates',
    {
      summary: "Templates I may use: the official ones, mine and my teams'",
      querystring: pageQuery.extend({
        category: templateCategory.optional(),
        official: z
          .enum(['true', 'false'])
          .transform((value) => value === 'true')
          .optional(),
      }),
      response: pageOf(templateSummaryDto),
      problems: [400, 401],
    },
    (request) => listTemplates(deps, requireActor(request), request.query),
  );

  route.get(
    '/v1/workflows/templates/:templateId',
    {
      summary: 'A template with its workflow document',
      params: templateParams,
      response: templateDto,
      problems: [400, 401, 404],
    },
    (request) => getTemplate(deps, requireActor(request), request.params.templateId),
  );

  route.post(
    '/v1/workflows/templates',
    {
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
      status: 201,
      response: templateDto,
      problems: [400, 401, 403, 404, 422],
    },
    (request) => createTemplate(deps, requireActor(request), request.body),
  );

  route.delete(
    '/v1/workflows/templates/:templateId',
    {
      summary: 'Delete a template of mine (official ones stay)',
      params: templateParams,
      status: 204,
      problems: [400, 401, 403, 404],
    },
    (request) => deleteTemplate(deps, requireActor(request), request.params.templateId),
  );

  route.post(
    '/v1/workflows/templates/:templateId/use',
    {
      summary: 'Create a draft workflow from a template',
      params: templateParams,
      body: z
        .object({ name: readableText(200).optional(), teamId: z.uuid().optional() })
        .strict()
        .default({}),
      status: 201,
      response: workflowDto,
      problems: [400, 401, 403, 404, 422],
    },
    (request) => useTemplate(deps, requireActor(request), request.params.templateId, request.body),
  );
}
