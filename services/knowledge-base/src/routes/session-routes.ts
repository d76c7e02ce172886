import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { KnowledgeDeps } from '../deps.js';
import { collectionDto } from '../domain/collections/collection-dto.js';
import {
  attachCollection,
  detachCollection,
  listSessionCollections,
} from '../domain/sessions/session-collections.js';

const tags = ['session knowledge bases'];
const sessionParams = z.object({ sessionId: z.uuid() });
const linkParams = sessionParams.extend({ collectionId: z.uuid() });
const linkDto = z.object({ sessionId: z.uuid(), collection: collectionDto, attachedAt: z.string() });

/** `USE KB`: the knowledge bases a chat session answers from; registered behind `authenticate`. */
export function sessionRoutes(app: ServiceApp, deps: KnowledgeDeps) {
  const route = routeGroup(app, { tags });
  route.get(
    '/v1/kb/sessions/:sessionId/collections',
    {
      summary: "A chat session's knowledge bases, in link order",
      params: sessionParams,
      querystring: pageQuery,
      response: pageOf(linkDto),
      problems: [400, 401, 404, 503],
    },
    (request) => listSessionCollections(deps, requireActor(request), request.params.sessionId, request.query),
  );

  route.put(
    '/v1/kb/sessions/:sessionId/collections/:collectionId',
    {
      summary: 'Use a knowledge base in a chat session (201 when new, 200 when it already was)',
      params: linkParams,
      response: linkDto,
      responses: { 201: linkDto },
      problems: [400, 401, 404, 503],
    },
    async (request, reply) => {
      const { created, link } = await attachCollection(
        deps,
        requireActor(request),
        request.params.sessionId,
        request.params.collectionId,
      );
      return reply.code(created ? 201 : 200).send(link);
    },
  );

  route.delete(
    '/v1/kb/sessions/:sessionId/collections/:collectionId',
    {
      summary: 'Stop using a knowledge base in a chat session',
      params: linkParams,
      status: 204,
      problems: [400, 401, 404, 503],
    },
    (request) =>
      detachCollection(deps, requireActor(request), request.params.sessionId, request.params.collectionId),
  );
}
