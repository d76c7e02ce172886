import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery, readableText, storableJson } from '@conduit/contracts';
import { bearerSecurity, problemResponses, type ServiceApp } from '@conduit/service-kit';
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
  app.get(
    '/v1/bots/:botId/memories',
    {
      schema: {
        tags,
        security: bearerSecurity,
        summary: "A bot's memories, by key",
        params: botParams,
        querystring: pageQuery,
        response: { 200: list, ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => listBotMemories(deps, requireActor(request), request.params.botId, request.query),
  );
  app.get(
    '/v1/bots/:botId/memories/:key',
    {
      schema: {
        tags,
        security: bearerSecurity,
        summary: 'One bot memory',
        params: botKeyParams,
        response: { 200: memoryDto, ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => getBotMemory(deps, requireActor(request), request.params.botId, request.params.key),
  );
  app.put(
    '/v1/bots/:botId/memories/:key',
    {
      schema: {
        tags,
        security: bearerSecurity,
        summary: 'Set a bot memory (what SET BOT MEMORY does)',
        params: botKeyParams,
        body,
        response: { 200: memoryDto, ...problemResponses(400, 401, 403, 404, 413) },
      },
    },
    async (request) =>
      setBotMemory(deps, requireActor(request), request.params.botId, request.params.key, request.body.value),
  );
  app.delete(
    '/v1/bots/:botId/memories/:key',
    {
      schema: {
        tags,
        security: bearerSecurity,
        summary: 'Forget a bot memory',
        params: botKeyParams,
        response: { 204: z.null(), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await deleteBotMemory(deps, requireActor(request), request.params.botId, request.params.key);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/memories',
    {
      schema: {
        tags,
        security: bearerSecurity,
        summary: 'My memories, shared across bots, by key',
        querystring: pageQuery,
        response: { 200: list, ...problemResponses(400, 401) },
      },
    },
    async (request) => listUserMemories(deps, requireActor(request), request.query),
  );
  app.get(
    '/v1/memories/:key',
    {
      schema: {
        tags,
        security: bearerSecurity,
        summary: 'One of my memories',
        params: keyParams,
        response: { 200: memoryDto, ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => getUserMemory(deps, requireActor(request), request.params.key),
  );
  app.put(
    '/v1/memories/:key',
    {
      schema: {
        tags,
        security: bearerSecurity,
        summary: 'Set one of my memories (what SET USER MEMORY does)',
        params: keyParams,
        body,
        response: { 200: memoryDto, ...problemResponses(400, 401, 413) },
      },
    },
    async (request) => setUserMemory(deps, requireActor(request), request.params.key, request.body.value),
  );
  app.delete(
    '/v1/memories/:key',
    {
      schema: {
        tags,
        security: bearerSecurity,
        summary: 'Forget one of my memories',
        params: keyParams,
        response: { 204: z.null(), ...problemResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      await deleteUserMemory(deps, requireActor(request), request.params.key);
      return reply.code(204).send(null);
    },
  );
}
