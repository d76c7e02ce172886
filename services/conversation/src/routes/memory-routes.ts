import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery, readableText, storableJson } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { ConversationDeps } from '../deps.js';
import { botParams } from '../domain/bots/bot-dto.js';
import {
  deleteBotMemory,
  deleteUserMemory,
  getBotMemory,
  getUserMemory,
  listBotMemories,
  listUserMemories,
  setBotMemory,
  setUserMemory,
} from '../domain/memories/memories.js';

const tags = ['memories'];
const memoryDto = z.object({ key: z.string(), value: z.unknown(), updatedAt: z.string() });
const list = pageOf(memoryDto);
const memoryKey = readableText(200);
/** JSON values of memories: anything JSON can hold, as much as a memory may (MAX_MEMORY_BYTES). */
const jsonValue = storableJson({ maxDepth: 32, maxBytes: 64 * 1024 });
const botKeyParams = botParams.extend({ key: memoryKey });
const keyParams = z.object({ key: memoryKey });
const body = z.object({ value: jsonValue });

/** Bot memories (shared by a bot's users) and user memories (shared across bots). */
export function memoryRoutes(app: ServiceApp, deps: ConversationDeps) {
  const route = routeGroup(app, { tags });
  route.get(
    '/v1/bots/:botId/memories',
    {
      summary: "A bot's memories, by key",
      params: botParams,
      querystring: pageQuery,
      response: list,
      problems: [400, 401, 404],
    },
    (request) => listBotMemories(deps, requireActor(request), request.params.botId, request.query),
  );
  route.get(
    '/v1/bots/:botId/memories/:key',
    { summary: 'One bot memory', params: botKeyParams, response: memoryDto, problems: [400, 401, 404] },
    (request) => getBotMemory(deps, requireActor(request), request.params.botId, request.params.key),
  );
  route.put(
    '/v1/bots/:botId/memories/:key',
    {
      summary: 'Set a bot memory (what SET BOT MEMORY does)',
      params: botKeyParams,
      body,
      response: memoryDto,
      problems: [400, 401, 403, 404, 413],
    },
    (request) =>
      setBotMemory(deps, requireActor(request), request.params.botId, request.params.key, request.body.value),
  );
  route.delete(
    '/v1/bots/:botId/memories/:key',
    { summary: 'Forget a bot memory', params: botKeyParams, status: 204, problems: [400, 401, 403, 404] },
    (request) => deleteBotMemory(deps, requireActor(request), request.params.botId, request.params.key),
  );

  route.get(
    '/v1/memories',
    {
      summary: 'My memories, shared across bots, by key',
      querystring: pageQuery,
      response: list,
      problems: [400, 401],
    },
    (request) => listUserMemories(deps, requireActor(request), request.query),
  );
  route.get(
    '/v1/memories/:key',
    { summary: 'One of my memories', params: keyParams, response: memoryDto, problems: [400, 401, 404] },
    (request) => getUserMemory(deps, requireActor(request), request.params.key),
  );
  route.put(
    '/v1/memories/:key',
    {
      summary: 'Set one of my memories (what SET USER MEMORY does)',
      params: keyParams,
      body,
      response: memoryDto,
      problems: [400, 401, 413],
    },
    (request) => setUserMemory(deps, requireActor(request), request.params.key, request.body.value),
  );
  route.delete(
    '/v1/memories/:key',
    { summary: 'Forget one of my memories', params: keyParams, status: 204, problems: [400, 401, 404] },
    (request) => deleteUserMemory(deps, requireActor(request), request.params.key),
  );
}
