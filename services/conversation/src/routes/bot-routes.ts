import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery, readableText, storableText } from '@conduit/contracts';
import { bearerSecurity, problemResponses, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import { botVisibilities } from '../db/schema.js';
import type { ConversationDeps } from '../deps.js';
import { botDto, botParams } from '../domain/bots/bot-dto.js';
import { scriptProblem } from '../domain/bots/compile-script.js';
import { createBot, deleteBot, getBot, listBots, updateBot } from '../domain/bots/manage-bots.js';

const tags = ['bots'];
const script = storableText(200_000).nullable().optional();

/** Bots: CRUD; registered behind `authenticate`. */
export function botRoutes(app: ServiceApp, deps: ConversationDeps) {
  app.post(
    '/v1/bots',
    {
      schema: {
        tags,
        security: bearerSecurity,
        summary: 'Create a bot (mine, or a team’s); its dialog script is compiled on save',
        body: z.object({
          name: readableText(200),
          description: storableText(2000).optional(),
          teamId: z.uuid().nullable().optional(),
          visibility: z.enum(botVisibilities).optional(),
          script,
        }),
        response: { 201: botDto, 422: scriptProblem, ...problemResponses(400, 401, 403) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await createBot(deps, requireActor(request), request.body)),
  );

  app.get(
    '/v1/bots',
    {
      schema: {
        tags,
        security: bearerSecurity,
        summary: 'Bots I can use',
        querystring: pageQuery,
        response: { 200: pageOf(botDto), ...problemResponses(400, 401) },
      },
    },
    async (request) => listBots(deps, requireActor(request), request.query),
  );

  app.get(
    '/v1/bots/:botId',
    {
      schema: {
        tags,
        security: bearerSecurity,
        summary: 'A bot',
        params: botParams,
        response: { 200: botDto, ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => getBot(deps, requireActor(request), request.params.botId),
  );

  app.patch(
    '/v1/bots/:botId',
    {
      schema: {
        tags,
        security: bearerSecurity,
        summary: 'Change a bot (a new script is compiled; errors are a 422 with line and column)',
        params: botParams,
        body: z.object({
          name: readableText(200).optional(),
          description: storableText(2000).optional(),
          visibility: z.enum(botVisibilities).optional(),
          script,
        }),
        response: { 200: botDto, 422: scriptProblem, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => updateBot(deps, requireActor(request), request.params.botId, request.body),
  );

  app.delete(
    '/v1/bots/:botId',
    {
      schema: {
        tags,
        security: bearerSecurity,
        summary: 'Delete a bot with its settings, memories, tools and sessions',
        params: botParams,
        response: { 204: z.null(), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await deleteBot(deps, requireActor(request), request.params.botId);
      return reply.code(204).send(null);
    },
  );
}
