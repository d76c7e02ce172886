import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery, readableText, storableJsonObject } from '@conduit/contracts';
import { bearerSecurity, problemResponses, type ServiceApp } from '@conduit/service-kit';
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
  app.get(
    '/v1/models',
    {
      schema: {
        tags,
        security: bearerSecurity,
        summary: 'Models I can use (built-in and my organization’s), by name',
        querystring: pageQuery,
        response: {
          200: pageOf(modelDto),
          ...problemResponses(400, 401),
        },
      },
    },
    async (request) => listModels(deps, requireActor(request), request.query),
  );
  app.get(
    '/v1/models/preference',
    {
      schema: {
        tags,
        security: bearerSecurity,
        summary: 'My chosen chat model',
        response: { 200: preference, ...problemResponses(401) },
      },
    },
    async (request) => getModelPreference(deps, requireActor(request)),
  );
  app.put(
    '/v1/models/preference',
    {
      schema: {
        tags,
        security: bearerSecurity,
        summary: 'Choose my chat model (null: each bot’s own)',
        body: preference,
        response: { 200: preference, ...problemResponses(400, 401, 404, 422) },
      },
    },
    async (request) => setModelPreference(deps, requireActor(request), request.body.modelId),
  );
  app.post(
    '/v1/models',
    {
      schema: {
        tags,
        security: bearerSecurity,
        summary: 'Add a model of one of my organization’s providers',
        body: z.object({ providerId: z.uuid(), ...fields }),
        response: { 201: modelDto, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await createModel(deps, requireActor(request), request.body)),
  );
  app.patch(
    '/v1/models/:modelId',
    {
      schema: {
        tags,
        security: bearerSecurity,
        summary: 'Change a model (e.g. deactivate it)',
        params,
        body: z.object({ ...fields, name: fields.name.optional() }),
        response: { 200: modelDto, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => updateModel(deps, requireActor(request), request.params.modelId, request.body),
  );
  app.delete(
    '/v1/models/:modelId',
    {
      schema: {
        tags,
        security: bearerSecurity,
        summary: 'Delete a model',
        params,
        response: { 204: z.null(), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await deleteModel(deps, requireActor(request), request.params.modelId);
      return reply.code(204).send(null);
    },
  );
}
