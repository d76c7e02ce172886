import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery, readableText, storableText } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
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
  const route = routeGroup(app, { tags });
  route.post(
    '/v1/prompts',
    {
      summary: 'Save a prompt',
      body: z.object({ name, content }),
      status: 201,
      response: promptDto,
      problems: [400, 401, 403],
    },
    (request) => createPrompt(deps, requireActor(request), request.body),
  );
  route.get(
    '/v1/prompts',
    {
      summary: 'Prompts of my organization (and mine), by name',
      querystring: pageQuery,
      response: pageOf(promptDto),
      problems: [400, 401, 403],
    },
    (request) => listPrompts(deps, requireActor(request), request.query),
  );
  route.get(
    '/v1/prompts/:promptId',
    { summary: 'A prompt', params, response: promptDto, problems: [400, 401, 403, 404] },
    (request) => getPrompt(deps, requireActor(request), request.params.promptId),
  );
  route.patch(
    '/v1/prompts/:promptId',
    {
      summary: 'Change a prompt',
      params,
      body: z.object({ name: name.optional(), content: content.optional() }),
      response: promptDto,
      problems: [400, 401, 403, 404],
    },
    (request) => updatePrompt(deps, requireActor(request), request.params.promptId, request.body),
  );
  route.delete(
    '/v1/prompts/:promptId',
    { summary: 'Delete a prompt', params, status: 204, problems: [400, 401, 403, 404] },
    (request) => deletePrompt(deps, requireActor(request), request.params.promptId),
  );
}
