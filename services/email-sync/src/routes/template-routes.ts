import { requireActor } from '@conduit/auth';
import { limitProblemSchema, pageOf, pageQuery } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { MailDeps } from '../deps.js';
import { outboundDto } from '../domain/sending/outbound-dto.js';
import { templateDto } from '../domain/templates/template-dto.js';
import {
  createTemplateInput,
  previewTemplateInput,
  sendTemplateInput,
  updateTemplateInput,
} from '../domain/templates/template-input.js';
import {
  createTemplate,
  deleteTemplate,
  getTemplate,
  listTemplates,
  previewTemplate,
  sendTemplate,
  updateTemplate,
} from '../domain/templates/templates.js';

const templateParams = z.object({ templateId: z.uuid() });

const preview = z.object({
  subject: z.string(),
  text: z.string().nullable(),
  html: z.string().nullable(),
  /** Variables no value was given for (they render empty). */
  missing: z.array(z.string()),
});

/** Mail templates with `{{variables}}`: CRUD, preview, send. Registered behind `authenticate`. */
export function templateRoutes(app: ServiceApp, deps: MailDeps) {
  const route = routeGroup(app, { tags: ['mail templates'] });

  route.post(
    '/v1/mail/templates',
    {
      summary: 'Create a template (mine or my team’s)',
      body: createTemplateInput,
      status: 201,
      response: templateDto,
      problems: [400, 401, 403, 404],
    },
    (request) => createTemplate(deps, requireActor(request), request.body),
  );

  route.get(
    '/v1/mail/templates',
    {
      summary: 'My templates, my teams’ and the system’s, newest first',
      querystring: pageQuery,
      response: pageOf(templateDto),
      problems: [400, 401],
    },
    (request) => listTemplates(deps, requireActor(request), request.query),
  );

  route.get(
    '/v1/mail/templates/:templateId',
    { summary: 'A template', params: templateParams, response: templateDto, problems: [400, 401, 404] },
    (request) => getTemplate(deps, requireActor(request), request.params.templateId),
  );

  route.patch(
    '/v1/mail/templates/:templateId',
    {
      summary: 'Change a template (a system one: platform admin only)',
      params: templateParams,
      body: updateTemplateInput,
      response: templateDto,
      problems: [400, 401, 403, 404, 422],
    },
    (request) => updateTemplate(deps, requireActor(request), request.params.templateId, request.body),
  );

  route.delete(
    '/v1/mail/templates/:templateId',
    { summary: 'Delete a template', params: templateParams, status: 204, problems: [400, 401, 403, 404] },
    (request) => deleteTemplate(deps, requireActor(request), request.params.templateId),
  );

  route.post(
    '/v1/mail/templates/:templateId/preview',
    {
      summary: 'Render a template with its sample values (and the values given)',
      params: templateParams,
      body: previewTemplateInput,
      response: preview,
      problems: [400, 401, 404],
    },
    (request) => previewTemplate(deps, requireActor(request), request.params.templateId, request.body.values),
  );

  route.post(
    '/v1/mail/templates/:templateId/send',
    {
      summary: 'Send a template rendered with the values given from one of my mail accounts',
      params: templateParams,
      body: sendTemplateInput,
      status: 202,
      response: outboundDto,
      problems: [400, 401, 403, 404, 422, 503],
      responses: { 402: limitProblemSchema },
    },
    (request) => sendTemplate(deps, requireActor(request), request.params.templateId, request.body),
  );
}
