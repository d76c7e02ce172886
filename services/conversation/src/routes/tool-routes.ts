import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery, storableText } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { ConversationDeps } from '../deps.js';
import { botParams } from '../domain/bots/bot-dto.js';
import { scriptProblem } from '../domain/bots/compile-script.js';
import { handlerRunDto, listHandlerRuns } from '../domain/handlers/handler-runs.js';
import { deleteTool, getTool, listTools, putTool, toolDto } from '../domain/tools/manage-tools.js';

const tags = ['tools'];
export const toolName = z
  .string()
  .max(64)
  .regex(/^[A-Za-z][\w-]{0,63}$/, 'a letter, then letters, digits, _ or - (at most 64)');
const toolParams = botParams.extend({ name: toolName });

/** A bot's tools: BASIC scripts whose PARAMs become the function schema the LLM sees. */
export function toolRoutes(app: ServiceApp, deps: ConversationDeps) {
  const route = routeGroup(app, { tags });
  route.get(
    '/v1/bots/:botId/tools',
    {
      summary: "A bot's tools, by name",
      params: botParams,
      querystring: pageQuery,
      response: pageOf(toolDto),
      problems: [400, 401, 404],
    },
    (request) => listTools(deps, requireActor(request), request.params.botId, request.query),
  );
  route.get(
    '/v1/bots/:botId/tools/:name',
    { summary: 'A tool', params: toolParams, response: toolDto, problems: [400, 401, 404] },
    (request) => getTool(deps, requireActor(request), request.params.botId, request.params.name),
  );
  route.put(
    '/v1/bots/:botId/tools/:name',
    {
      summary: 'Create or replace a tool from its script (201 when new)',
      params: toolParams,
      body: z.object({
        script: storableText(200_000).min(1),
        description: storableText(2000).optional(),
      }),
      response: toolDto,
      responses: { 201: toolDto, 422: scriptProblem },
      problems: [400, 401, 403, 404],
    },
    async (request, reply) => {
      const { created, tool } = await putTool(
        deps,
        requireActor(request),
        request.params.botId,
        request.params.name,
        request.body,
      );
      return reply.code(created ? 201 : 200).send(tool);
    },
  );
  route.delete(
    '/v1/bots/:botId/tools/:name',
    { summary: 'Delete a tool', params: toolParams, status: 204, problems: [400, 401, 403, 404] },
    (request) => deleteTool(deps, requireActor(request), request.params.botId, request.params.name),
  );
  route.get(
    '/v1/bots/:botId/tools/:name/runs',
    {
      summary: "Runs of a bot's ON or WEBHOOK script, newest first",
      description:
        'Each run: how it ended, the error that stopped it, the lines it wrote (TALK / PRINT). For whoever may change the bot.',
      params: toolParams,
      querystring: pageQuery,
      response: pageOf(handlerRunDto),
      problems: [400, 401, 403, 404],
    },
    (request) =>
      listHandlerRuns(deps, requireActor(request), request.params.botId, request.params.name, request.query),
  );
}
