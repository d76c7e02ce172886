import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery, readableText, storableJsonObject } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { ConversationDeps } from '../deps.js';
import {
  createModel,
  deleteModel,
  getModelPreference,
  listModels,
  modelDto,
  setModelPreference,
  updateModel,
} from '../domain/models/manage-models.js';

const tags = ['models'];
const params = z.object({ modelId: z.uuid() });
const preference = z.object({ modelId: z.uuid().nullable() });
const fields = {
  name: readableText(200),
  type: z.enum(['chat', 'embedding']).optional(),
  configSchema: storableJsonObject({ maxDepth: 32, maxBytes: 64 * 1024 }).optional(),
  config: storableJsonObject({ maxDepth: 16, maxBytes: 16 * 1024 }).optional(),
  active: z.boolean().optional(),
};

/** The model catalog, and my own choice of chat model. */
export function modelRoutes(app: ServiceApp, deps: ConversationDeps) {
  const route = routeGroup(app, { tags });
  route.get(
    '/v1/models',
    {
      summary: 'Models I can use (built-in and my organization’s), by name',
      querystring: pageQuery,
      response: pageOf(modelDto),
      problems: [400, 401],
    },
    (request) => listModels(deps, requireActor(request), request.query),
  );
  route.get(
    '/v1/models/preference',
    { summary: 'My chosen chat model', response: preference, problems: [401] },
    (request) => getModelPreference(deps, requireActor(request)),
  );
  route.put(
    '/v1/models/preference',
    {
      summary: 'Choose my chat model (null: each bot’s own)',
      body: preference,
      response: preference,
      problems: [400, 401, 404, 422],
    },
    (request) => setModelPreference(deps, requireActor(request), request.body.modelId),
  );
  route.post(
    '/v1/models',
    {
      summary: 'Add a model of one of my organization’s providers',
      body: z.object({ providerId: z.uuid(), ...fields }),
      status: 201,
      response: modelDto,
      problems: [400, 401, 403, 404],
    },
    (request) => createModel(deps, requireActor(request), request.body),
  );
  route.patch(
    '/v1/models/:modelId',
    {
      summary: 'Change a model (e.g. deactivate it)',
      params,
      body: z.object({ ...fields, name: fields.name.optional() }),
      response: modelDto,
      problems: [400, 401, 403, 404],
    },
    (request) => updateModel(deps, requireActor(request), request.params.modelId, request.body),
  );
  route.delete(
    '/v1/models/:modelId',
    { summary: 'Delete a model', params, status: 204, problems: [400, 401, 403, 404] },
    (request) => deleteModel(deps, requireActor(request), request.params.modelId),
  );
}
