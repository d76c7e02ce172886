import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery, readableText, storableText } from '@conduit/contracts';
import { bearerSecurity, problemResponses, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { ConversationDeps } from '../deps.js';
import {
  createProvider,
  deleteProvider,
  getProvider,
  listProviders,
  providerDto,
  updateProvider,
} from '../domain/providers/manage-providers.js';

const tags = ['providers'];
const params = z.object({ providerId: z.uuid() });
const baseUrl = z
  .url({ protocol: /^https?$/ })
  .max(500)
  .describe('The OpenAI-compatible API root, e.g. https://api.openai.com/v1');
const apiKey = storableText(500).min(1);

/** OpenAI-compatible providers of the organization; API keys go in, never come out. */
export function providerRoutes(app: ServiceApp, deps: ConversationDeps) {
  app.post(
    '/v1/providers',
    {
      schema: {
        tags,
        security: bearerSecurity,
        summary: 'Add an OpenAI-compatible provider (the API key is encrypted at rest)',
        body: z.object({ name: readableText(200), baseUrl, apiKey: apiKey.optional() }),
        response: { 201: providerDto, ...problemResponses(400, 401, 403) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await createProvider(deps, requireActor(request), request.body)),
  );
  app.get(
    '/v1/providers',
    {
      schema: {
        tags,
        security: bearerSecurity,
        summary: "My organization's providers, by name",
        querystring: pageQuery,
        response: {
          200: pageOf(providerDto),
          ...problemResponses(400, 401, 403),
        },
      },
    },
    async (request) => listProviders(deps, requireActor(request), request.query),
  );
  app.get(
    '/v1/providers/:providerId',
    {
      schema: {
        tags,
        security: bearerSecurity,
        summary: 'A provider',
        params,
        response: { 200: providerDto, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => getProvider(deps, requireActor(request), request.params.providerId),
  );
  app.patch(
    '/v1/providers/:providerId',
    {
      schema: {
        tags,
        security: bearerSecurity,
        summary: 'Change a provider (apiKey: null removes the key)',
        params,
        body: z.object({
          name: readableText(200).optional(),
          baseUrl: baseUrl.optional(),
          apiKey: apiKey.nullable().optional(),
        }),
        response: { 200: providerDto, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => updateProvider(deps, requireActor(request), request.params.providerId, request.body),
  );
  app.delete(
    '/v1/providers/:providerId',
    {
      schema: {
        tags,
        security: bearerSecurity,
        summary: 'Delete a provider and its models',
        params,
        response: { 204: z.null(), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await deleteProvider(deps, requireActor(request), request.params.providerId);
      return reply.code(204).send(null);
    },
  );
}
