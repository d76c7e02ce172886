import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery, readableText, storableJsonObject, storableText } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
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
export const collectionParams = z.object({ collectionId: z.uuid() });
/** Metadata of collections and documents (matched by search filters): a small JSON object. */
export const metadata = storableJsonObject({ maxDepth: 16, maxBytes: 16 * 1024 });
const name = readableText(200);
const description = storableText(2000).nullable();

/** Collections and their settings; registered behind `authenticate`. */
export function collectionRoutes(app: ServiceApp, deps: KnowledgeDeps) {
  const route = routeGroup(app, { tags });
  route.post(
    '/v1/kb/collections',
    {
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
      status: 201,
      response: collectionDetailDto,
      problems: [400, 401, 403, 404, 422],
    },
    (request) => createCollection(deps, requireActor(request), request.body),
  );

  route.get(
    '/v1/kb/collections',
    {
      summary: 'Knowledge bases I can read',
      querystring: pageQuery,
      response: pageOf(collectionDto),
      problems: [400, 401],
    },
    (request) => listCollections(deps, requireActor(request), request.query),
  );

  route.get(
    '/v1/kb/collections/:collectionId',
    {
      summary: 'A knowledge base with its settings and counts',
      params: collectionParams,
      response: collectionDetailDto,
      problems: [400, 401, 404],
    },
    (request) => getCollection(deps, requireActor(request), request.params.collectionId),
  );

  route.patch(
    '/v1/kb/collections/:collectionId',
    {
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
      response: collectionDto,
      problems: [400, 401, 403, 404],
    },
    (request) => updateCollection(deps, requireActor(request), request.params.collectionId, request.body),
  );

  route.delete(
    '/v1/kb/collections/:collectionId',
    {
      summary: 'Delete a knowledge base with all its documents',
      params: collectionParams,
      status: 204,
      problems: [400, 401, 403, 404],
    },
    (request) => deleteCollection(deps, requireActor(request), request.params.collectionId),
  );

  route.patch(
    '/v1/kb/collections/:collectionId/settings',
    {
      summary: 'Change chunking, search language or embeddings (re-indexes when chunks go stale)',
      params: collectionParams,
      body: settingsInput,
      response: settingsDto,
      problems: [400, 401, 403, 404, 422],
    },
    (request) => updateSettings(deps, requireActor(request), request.params.collectionId, request.body),
  );

  route.post(
    '/v1/kb/collections/:collectionId/reindex',
    {
      summary: 'Index every document again from its original',
      params: collectionParams,
      status: 202,
      response: z.object({ queued: z.int() }),
      problems: [400, 401, 403, 404],
    },
    (request) => reindexCollection(deps, requireActor(request), request.params.collectionId),
  );
}
