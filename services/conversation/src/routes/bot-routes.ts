import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery, readableText, storableText } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
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
  const route = routeGroup(app, { tags });
  route.post(
    '/v1/bots',
    {
      summary: 'Create a bot (mine, or a team’s); its dialog script is compiled on save',
      body: z.object({
        name: readableText(200),
        description: storableText(2000).optional(),
        teamId: z.uuid().nullable().optional(),
        visibility: z.enum(botVisibilities).optional(),
        script,
      }),
      status: 201,
      response: botDto,
      responses: { 422: scriptProblem },
      problems: [400, 401, 403],
    },
    (request) => createBot(deps, requireActor(request), request.body),
  );

  route.get(
    '/v1/bots',
    { summary: 'Bots I can use', querystring: pageQuery, response: pageOf(botDto), problems: [400, 401] },
    (request) => listBots(deps, requireActor(request), request.query),
  );

  route.get(
    '/v1/bots/:botId',
    { summary: 'A bot', params: botParams, response: botDto, problems: [400, 401, 404] },
    (request) => getBot(deps, requireActor(request), request.params.botId),
  );

  route.patch(
    '/v1/bots/:botId',
    {
      summary: 'Change a bot (a new script is compiled; errors are a 422 with line and column)',
      params: botParams,
      body: z.object({
        name: readableText(200).optional(),
        description: storableText(2000).optional(),
        visibility: z.enum(botVisibilities).optional(),
        script,
      }),
      response: botDto,
      responses: { 422: scriptProblem },
      problems: [400, 401, 403, 404],
    },
    (request) => updateBot(deps, requireActor(request), request.params.botId, request.body),
  );

  route.delete(
    '/v1/bots/:botId',
    {
      summary: 'Delete a bot with its settings, memories, tools and sessions',
      params: botParams,
      status: 204,
      problems: [400, 401, 403, 404],
    },
    (request) => deleteBot(deps, requireActor(request), request.params.botId),
  );
}
