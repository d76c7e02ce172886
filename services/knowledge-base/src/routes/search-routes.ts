import { requireActor } from '@conduit/auth';
import { knowledgeRpc, storableText } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { KnowledgeDeps } from '../deps.js';
import { hybridSearch } from '../domain/search/hybrid-search.js';
import { collectionParams, metadata } from './collection-routes.js';

const tags = ['knowledge bases'];

/**
 * `?filter=` is a JSON object matched by containment against document metadata. Its escapes can
 * spell what the query string itself may not hold (`\u0000`), so the parsed value passes the rule too.
 */
const filter = storableText(4000)
  .transform((raw, ctx) => {
    try {
      const value: unknown = JSON.parse(raw);
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value;
    } catch {}
    ctx.addIssue({ code: 'custom', message: 'filter must be a JSON object, e.g. {"lang":"en"}' });
    return z.NEVER;
  })
  .pipe(metadata);

const searchQuery = z.object({
  q: storableText(2000).min(1),
  k: z.coerce.number().int().min(1).max(50).default(5),
  filter: filter.optional(),
});

const searchResult = z.object({ hits: z.array(knowledgeRpc.searchHit) });

/** Hybrid search over one collection, several, or a session's; registered behind `authenticate`. */
export function searchRoutes(app: ServiceApp, deps: KnowledgeDeps) {
  const route = routeGroup(app, { tags });
  route.get(
    '/v1/kb/collections/:collectionId/search',
    {
      summary: 'Hybrid search (full text + vectors, fused by reciprocal rank) in one knowledge base',
      params: collectionParams,
      querystring: searchQuery,
      response: searchResult,
      problems: [400, 401, 404],
    },
    (request) =>
      hybridSearch(deps, requireActor(request), {
        scope: { kind: 'collections', collectionIds: [request.params.collectionId] },
        query: request.query.q,
        k: request.query.k,
        filter: request.query.filter,
      }),
  );

  route.get(
    '/v1/kb/search',
    {
      summary: 'Hybrid search across knowledge bases (the given ones, or all I can read)',
      querystring: searchQuery.extend({
        collectionIds: storableText(2000)
          .transform((raw) =>
            raw
              .split(',')
              .map((id) => id.trim())
              .filter(Boolean),
          )
          .pipe(z.array(z.uuid()).min(1).max(50))
          .optional(),
      }),
      response: searchResult,
      problems: [400, 401, 404],
    },
    (request) =>
      hybridSearch(deps, requireActor(request), {
        scope: request.query.collectionIds
          ? { kind: 'collections', collectionIds: request.query.collectionIds }
          : { kind: 'readable' },
        query: request.query.q,
        k: request.query.k,
        filter: request.query.filter,
      }),
  );

  route.get(
    '/v1/kb/sessions/:sessionId/search',
    {
      summary: "Hybrid search over a chat session's knowledge bases",
      params: z.object({ sessionId: z.uuid() }),
      querystring: searchQuery,
      response: searchResult,
      problems: [400, 401, 404, 503],
    },
    (request) =>
      hybridSearch(deps, requireActor(request), {
        scope: { kind: 'session', sessionId: request.params.sessionId },
        query: request.query.q,
        k: request.query.k,
        filter: request.query.filter,
      }),
  );
}
