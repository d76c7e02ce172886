import { requireActor } from '@conduit/auth';
import { limitProblemSchema, pageOf, pageQuery, readableText, storableText } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { WorkflowDeps } from '../deps.js';
import { automationDto, automationRunDto } from '../domain/automations/automation-dto.js';
import {
  createAutomation,
  deleteAutomation,
  getAutomation,
  listAutomationRuns,
  listAutomations,
  runAutomationNow,
  updateAutomation,
} from '../domain/automations/manage-automations.js';

const botParams = z.object({ botId: z.uuid() });
const automationParams = botParams.extend({ automationId: z.uuid() });

const fields = {
  name: readableText(200),
  /** A cron (five fields, or six with seconds first) or what SET SCHEDULE accepts ("every monday at 9am"). */
  schedule: readableText(200),
  timezone: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_+\-/]+$/, 'an IANA time zone'),
  script: storableText(200_000).min(1),
  active: z.boolean(),
};

/**
 * A bot's automations (system_automations): BASIC scripts on a schedule, run as the bot's owner.
 * Only the bot's owner, or its team's owners and admins, manage them (conversation says whose bot
 * it is).
 */
export function automationRoutes(app: ServiceApp, deps: WorkflowDeps) {
  const route = routeGroup(app, { tags: ['automations'] });
  route.get(
    '/v1/bots/:botId/automations',
    {
      summary: "A bot's automations, oldest first",
      params: botParams,
      querystring: pageQuery,
      response: pageOf(automationDto),
      problems: [400, 401, 403, 404, 503],
    },
    (request) => listAutomations(deps, requireActor(request), request.params.botId, request.query),
  );

  route.post(
    '/v1/bots/:botId/automations',
    {
      summary: 'Add an automation to a bot: a BASIC script on a schedule',
      params: botParams,
      body: z
        .object({ ...fields, timezone: fields.timezone.optional(), active: fields.active.optional() })
        .strict(),
      status: 201,
      response: automationDto,
      problems: [400, 401, 403, 404, 422, 503],
    },
    (request) => createAutomation(deps, requireActor(request), request.params.botId, request.body),
  );

  route.get(
    '/v1/bots/:botId/automations/:automationId',
    {
      summary: 'An automation',
      params: automationParams,
      response: automationDto,
      problems: [400, 401, 403, 404, 503],
    },
    (request) =>
      getAutomation(deps, requireActor(request), request.params.botId, request.params.automationId),
  );

  route.patch(
    '/v1/bots/:botId/automations/:automationId',
    {
      summary: "Change an automation (one that follows the bot's script: name, time zone and active only)",
      params: automationParams,
      body: z
        .object({
          name: fields.name.optional(),
          schedule: fields.schedule.optional(),
          timezone: fields.timezone.optional(),
          script: fields.script.optional(),
          active: fields.active.optional(),
        })
        .strict(),
      response: automationDto,
      problems: [400, 401, 403, 404, 422, 503],
    },
    (request) =>
      updateAutomation(
        deps,
        requireActor(request),
        request.params.botId,
        request.params.automationId,
        request.body,
      ),
  );

  route.delete(
    '/v1/bots/:botId/automations/:automationId',
    {
      summary: 'Delete an automation with its runs',
      params: automationParams,
      status: 204,
      problems: [400, 401, 403, 404, 503],
    },
    (request) =>
      deleteAutomation(deps, requireActor(request), request.params.botId, request.params.automationId),
  );

  route.post(
    '/v1/bots/:botId/automations/:automationId/run',
    {
      summary: 'Run an automation now (one executions is reserved at once)',
      params: automationParams,
      status: 202,
      response: z.object({ runId: z.uuid() }),
      responses: { 402: limitProblemSchema },
      problems: [400, 401, 403, 404, 503],
    },
    (request) =>
      runAutomationNow(deps, requireActor(request), request.params.botId, request.params.automationId),
  );

  route.get(
    '/v1/bots/:botId/automations/:automationId/runs',
    {
      summary: "An automation's runs, newest first: status, output lines, error, time",
      params: automationParams,
      querystring: pageQuery.strict(),
      response: pageOf(automationRunDto),
      problems: [400, 401, 403, 404, 503],
    },
    (request) =>
      listAutomationRuns(
        deps,
        requireActor(request),
        request.params.botId,
        request.params.automationId,
        request.query,
      ),
  );
}
