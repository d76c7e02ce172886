import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery, readableText, storableText } from '@conduit/contracts';
import { problemResponses, type ServiceApp } from '@conduit/service-kit';
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
import { limitProblem } from './limit-problem.js';

const tags = ['automations'];
const security = [{ bearer: [] }];
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
  app.get(
    '/v1/bots/:botId/automations',
    {
      schema: {
        tags,
        security,
        summary: "A bot's automations",
        params: botParams,
        response: {
          200: z.object({ items: z.array(automationDto) }),
          ...problemResponses(400, 401, 403, 404, 503),
        },
      },
    },
    async (request) => listAutomations(deps, requireActor(request), request.params.botId),
  );

  app.post(
    '/v1/bots/:botId/automations',
    {
      schema: {
        tags,
        security,
        summary: 'Add an automation to a bot: a BASIC script on a schedule',
        params: botParams,
        body: z
          .object({ ...fields, timezone: fields.timezone.optional(), active: fields.active.optional() })
          .strict(),
        response: { 201: automationDto, ...problemResponses(400, 401, 403, 404, 422, 503) },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await createAutomation(deps, requireActor(request), request.params.botId, request.body)),
  );

  app.get(
    '/v1/bots/:botId/automations/:automationId',
    {
      schema: {
        tags,
        security,
        summary: 'An automation',
        params: automationParams,
        response: { 200: automationDto, ...problemResponses(400, 401, 403, 404, 503) },
      },
    },
    async (request) =>
      getAutomation(deps, requireActor(request), request.params.botId, request.params.automationId),
  );

  app.patch(
    '/v1/bots/:botId/automations/:automationId',
    {
      schema: {
        tags,
        security,
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
        response: { 200: automationDto, ...problemResponses(400, 401, 403, 404, 422, 503) },
      },
    },
    async (request) =>
      updateAutomation(
        deps,
        requireActor(request),
        request.params.botId,
        request.params.automationId,
        request.body,
      ),
  );

  app.delete(
    '/v1/bots/:botId/automations/:automationId',
    {
      schema: {
        tags,
        security,
        summary: 'Delete an automation with its runs',
        params: automationParams,
        response: { 204: z.null(), ...problemResponses(400, 401, 403, 404, 503) },
      },
    },
    async (request, reply) => {
      await deleteAutomation(deps, requireActor(request), request.params.botId, request.params.automationId);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/bots/:botId/automations/:automationId/run',
    {
      schema: {
        tags,
        security,
        summary: 'Run an automation now (one executions is reserved at once)',
        params: automationParams,
        response: {
          202: z.object({ runId: z.uuid() }),
          402: limitProblem,
          ...problemResponses(400, 401, 403, 404, 503),
        },
      },
    },
    async (request, reply) =>
      reply
        .code(202)
        .send(
          await runAutomationNow(
            deps,
            requireActor(request),
            request.params.botId,
            request.params.automationId,
          ),
        ),
  );

  app.get(
    '/v1/bots/:botId/automations/:automationId/runs',
    {
      schema: {
        tags,
        security,
        summary: "An automation's runs, newest first: status, output lines, error, time",
        params: automationParams,
        querystring: pageQuery.strict(),
        response: { 200: pageOf(automationRunDto), ...problemResponses(400, 401, 403, 404, 503) },
      },
    },
    async (request) =>
      listAutomationRuns(
        deps,
        requireActor(request),
        request.params.botId,
        request.params.automationId,
        request.query,
      ),
  );
}
