import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery, readableText, storableText } from '@conduit/contracts';
import { bearerSecurity, problemResponses, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { ConversationDeps } from '../deps.js';
import {
  createPrompt,
  deletePrompt,
  getPrompt,
  listPrompts,
  promptDto,
  updatePrompt,
} from '../domain/prompts/manage-prompts.js';

const tags = ['prompts'];
const params = z.object({ promptId: z.uuid() });
const name = readableText(200);
const content = storableText(50_000).min(1);

/** Reusable system prompts with `{{variables}}` (a bot uses one with its `prompt` setting). */
export function promptRoutes(app: ServiceApp, deps: ConversationDeps) {
  app.post(
    '/v1/prompts',
    {
      schema: {
        tags,
        security: bearerSecurity,
        summary: 'Save a prompt',
        body: z.object({ name, content }),
        response: { 201: promptDto, ...problemResponses(400, 401, 403) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await createPrompt(deps, requireActor(request), request.body)),
  );
  app.get(
    '/v1/prompts',
    {
      schema: {
        tags,
        security: bearerSecurity,
        summary: 'Prompts of my organization (and mine), by name',
        querystring: pageQuery,
        response: {
          200: pageOf(promptDto),
          ...problemResponses(400, 401, 403),
        },
      },
    },
    async (request) => listPrompts(deps, requireActor(request), request.query),
  );
  app.get(
    '/v1/prompts/:promptId',
    {
      schema: {
        tags,
        security: bearerSecurity,
        summary: 'A prompt',
        params,
        response: { 200: promptDto, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => getPrompt(deps, requireActor(request), request.params.promptId),
  );
  app.patch(
    '/v1/prompts/:promptId',
    {
      schema: {
        tags,
        security: bearerSecurity,
        summary: 'Change a prompt',
        params,
        body: z.object({ name: name.optional(), content: content.optional() }),
        response: { 200: promptDto, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => updatePrompt(deps, requireActor(request), request.params.promptId, request.body),
  );
  app.delete(
    '/v1/prompts/:promptId',
    {
      schema: {
        tags,
        security: bearerSecurity,
        summary: 'Delete a prompt',
        params,
        response: { 204: z.null(), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await deletePrompt(deps, requireActor(request), request.params.promptId);
      return reply.code(204).send(null);
    },
  );
}
