import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery, readableText, storableText } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
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
  const route = routeGroup(app, { tags });
  route.post(
    '/v1/providers',
    {
      summary: 'Add an OpenAI-compatible provider (the API key is encrypted at rest)',
      body: z.object({ name: readableText(200), baseUrl, apiKey: apiKey.optional() }),
      status: 201,
      response: providerDto,
      problems: [400, 401, 403],
    },
    (request) => createProvider(deps, requireActor(request), request.body),
  );
  route.get(
    '/v1/providers',
    {
      summary: "My organization's providers, by name",
      querystring: pageQuery,
      response: pageOf(providerDto),
      problems: [400, 401, 403],
    },
    (request) => listProviders(deps, requireActor(request), request.query),
  );
  route.get(
    '/v1/providers/:providerId',
    { summary: 'A provider', params, response: providerDto, problems: [400, 401, 403, 404] },
    (request) => getProvider(deps, requireActor(request), request.params.providerId),
  );
  route.patch(
    '/v1/providers/:providerId',
    {
      summary: 'Change a provider (apiKey: null removes the key)',
      params,
      body: z.object({
        name: readableText(200).optional(),
        baseUrl: baseUrl.optional(),
        apiKey: apiKey.nullable().optional(),
      }),
      response: providerDto,
      problems: [400, 401, 403, 404],
    },
    (request) => updateProvider(deps, requireActor(request), request.params.providerId, request.body),
  );
  route.delete(
    '/v1/providers/:providerId',
    { summary: 'Delete a provider and its models', params, status: 204, problems: [400, 401, 403, 404] },
    (request) => deleteProvider(deps, requireActor(request), request.params.providerId),
  );
}
