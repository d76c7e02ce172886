import { requireActor } from '@conduit/auth';
import { readableText, storableJsonObject, storableText } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { AnalyticsDeps } from '../deps.js';
import { clientEventTypes, recordClientEvents } from '../domain/client-events/record-client-events.js';
import { instant } from '../domain/queries/query-params.js';

/** Most events in one batch. */
export const MAX_CLIENT_BATCH = 500;

const clientEvent = z
  .object({
    idempotencyKey: readableText(200),
    type: z.enum(clientEventTypes),
    name: storableText(200).optional(),
    occurredAt: instant,
    botId: z.uuid().optional(),
    sessionId: z.uuid().optional(),
    workflowId: z.uuid().optional(),
    teamId: z.uuid().optional(),
    properties: storableJsonObject({ maxDepth: 4, maxBytes: 2048 }).optional(),
  })
  .strict();

/** Client events (page views, UI clicks, custom events); behind `authenticate`, rate limited per user. */
export function clientEventRoutes(app: ServiceApp, deps: AnalyticsDeps) {
  const route = routeGroup(app, { tags: ['analytics'] });
  route.post(
    '/v1/analytics/events',
    {
      summary: `Record up to ${MAX_CLIENT_BATCH} events from an app, each once by its idempotency key`,
      body: z.object({ events: z.array(clientEvent).min(1).max(MAX_CLIENT_BATCH) }).strict(),
      response: z.object({
        received: z.number(),
        recorded: z.number(),
        duplicates: z.number(),
        clamped: z.number(),
        refused: z.array(z.object({ index: z.number(), reason: z.enum(['too_old', 'not_a_team_member']) })),
      }),
      problems: [400, 401, 413, 429],
      config: {
        rateLimit: { max: deps.env.CLIENT_BATCHES_PER_WINDOW, timeWindow: deps.env.CLIENT_BATCHES_WINDOW },
      },
    },
    (request) => recordClientEvents(deps, requireActor(request), request.body.events),
  );
}
