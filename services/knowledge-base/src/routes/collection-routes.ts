import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery, readableText, storableJsonObject, storableText } from '@conduit/contracts';
import { problemResponses, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { KnowledgeDeps } from '../deps.js';
import { collectionDetailDto, collectionDto, settingsDto } from '../domain/collections/collection-dto.js';
import { settingsInput } from '../domain/collections/collection-settings.js';
import {
  createCollection,
  deleteCollection,
  getCollection,
  listCollections,
  reindexCollection,
  updateCollection,
  updateSettings,
} from '../domain/collections/manage-collections.js';

const tags = ['knowledge bases'];
const security = [{ bearer: [] }];
export const collectionParams = z.object({ collectionId: z.uuid() });
/** Metadata of collections and documents (matched by search filters): a small JSON object. */
export const metadata = storableJsonObject({ maxDepth: 16, maxBytes: 16 * 1024 });
const name = readableText(200);
const description = storableText(2000).nullable();

/** Collections and their settings; registered behind `authenticate`. */
export function collectionRoutes(app: ServiceApp, deps: KnowledgeDeps) {
  app.post(
    '/v1/kb/collections',
    {
      schema: {
        tags,
        security,
        summary: 'Create a knowledge base (private, or shared with one of my teams)',
        body: z
          .object({
            name,
            description: description.optional(),
            metadata: metadata.optional(),
            teamId: z.uuid().optional(),
            settings: settingsInput.optional(),
          })
          .strict(),
        response: { 201: collectionDetailDto, ...problemResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await createCollection(deps, requireActor(request), request.body)),
  );

  app.get(
    '/v1/kb/collections',
    {
      schema: {
        tags,
        security,
        summary: 'Knowledge bases I can read',
        querystring: pageQuery,
        response: { 200: pageOf(collectionDto), ...problemResponses(400, 401) },
      },
    },
    async (request) => listCollections(deps, requireActor(request), request.query),
  );

  app.get(
    '/v1/kb/collections/:collectionId',
    {
      schema: {
        tags,
        security,
        summary: 'A knowledge base with its settings and counts',
        params: collectionParams,
        response: { 200: collectionDetailDto, ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => getCollection(deps, requireActor(request), request.params.collectionId),
  );

  app.patch(
    '/v1/kb/collections/:collectionId',
    {
      schema: {
        tags,
        security,
        summary: 'Rename or re-describe a knowledge base',
        params: collectionParams,
        body: z
          .object({
            name: name.optional(),
            description: description.optional(),
            metadata: metadata.optional(),
          })
          .strict()
          .refine((body) => Object.keys(body).length > 0, 'give name, description or metadata'),
        response: { 200: collectionDto, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) =>
      updateCollection(deps, requireActor(request), request.params.collectionId, request.body),
  );

  app.delete(
    '/v1/kb/collections/:collectionId',
    {
      schema: {
        tags,
        security,
        summary: 'Delete a knowledge base with all its documents',
        params: collectionParams,
        response: { 204: z.null(), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await deleteCollection(deps, requireActor(request), request.params.collectionId);
      return reply.code(204).send(null);
    },
  );

  app.patch(
    '/v1/kb/collections/:collectionId/settings',
    {
      schema: {
        tags,
        security,
        summary: 'Change chunking, search language or embeddings (re-indexes when chunks go stale)',
        params: collectionParams,
        body: settingsInput,
        response: { 200: settingsDto, ...problemResponses(400, 401, 403, 404, 422) },
      },
    },
    async (request) => updateSettings(deps, requireActor(request), request.params.collectionId, request.body),
  );

  app.post(
    '/v1/kb/collections/:collectionId/reindex',
    {
      schema: {
        tags,
        security,
        summary: 'Index every document again from its original',
        params: collectionParams,
        response: { 202: z.object({ queued: z.int() }), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) =>
      reply.code(202).send(await reindexCollection(deps, requireActor(request), request.params.collectionId)),
  );
}
