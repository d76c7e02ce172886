import { requireActor } from '@conduit/auth';
import { type Actor, pageOf, pageQuery } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { AnalyticsDeps } from '../deps.js';
import {
  delivery,
  queuedRunDto,
  schedule,
  timeZone,
  workName,
} from '../domain/metrics/deliveries/delivery-dto.js';

/**
 * The routes reports and alerts share as delivered work (`/v1/metrics/<plural>`): create, list,
 * get, change, delete, trigger one run now ("send" / "test") and list what ran. A kind names
 * only its own body fields, its answers and its verbs; the bodies' common fields, the parameters,
 * statuses and problems are the same for both.
 */

type Page = { limit: number; cursor?: string | undefined };
/** A page of answers, as pageOf describes it. */
type Answered = Promise<{ items: unknown[]; nextCursor: string | null }>;

export interface DeliveryWorkRoutes {
  noun: 'report' | 'alert';
  plural: 'reports' | 'alerts';
  tags: string[];
  /** The kind's own fields of a create body, and of a change (each optional there). */
  createFields: z.ZodRawShape;
  changeFields: z.ZodRawShape;
  /** The work as answered, and as create and change answer it (with a new webhook secret). */
  dto: z.ZodType;
  savedDto: z.ZodType;
  summaries: { create: string; createDescription: string; list: string; get: string; delete: string };
  // The domain's verbs as they are; bodies reach them validated by the schemas above (the
  // common fields and the kind's own), which `never` lets each verb name as its own input.
  verbs: {
    create(deps: AnalyticsDeps, actor: Actor, body: never): Promise<unknown>;
    list(deps: AnalyticsDeps, actor: Actor, query: Page & { teamId: string }): Answered;
    get(deps: AnalyticsDeps, actor: Actor, id: string): Promise<unknown>;
    update(deps: AnalyticsDeps, actor: Actor, id: string, body: never): Promise<unknown>;
    remove(deps: AnalyticsDeps, actor: Actor, id: string): Promise<void>;
  };
  /** Runs it once now, outside its schedule: `POST .../:id/<path>` answers 202. */
  trigger: {
    path: string;
    summary: string;
    run(deps: AnalyticsDeps, actor: Actor, id: string): Promise<{ tickAt: string }>;
  };
  /** What ran: `GET .../:id/<path>`, newest first. */
  history: {
    path: string;
    summary: string;
    dto: z.ZodType;
    list(deps: AnalyticsDeps, actor: Actor, id: string, query: Page): Answered;
  };
}

export function deliveryWorkRoutes(app: ServiceApp, deps: AnalyticsDeps, spec: DeliveryWorkRoutes) {
  const route = routeGroup(app, { tags: spec.tags });
  const base = `/v1/metrics/${spec.plural}`;
  const idName = `${spec.noun}Id`;
  const params = z.object({ [idName]: z.uuid() });
  const idOf = (request: { params: unknown }) => (request.params as Record<string, string>)[idName]!;
  const item = `${base}/:${idName}`;

  route.post(
    base,
    {
      summary: spec.summaries.create,
      description: spec.summaries.createDescription,
      body: z
        .object({
          explorationId: z.uuid(),
          name: workName,
          schedule,
          timeZone: timeZone.default('UTC'),
          delivery,
          enabled: z.boolean().optional(),
          ...spec.createFields,
        })
        .strict(),
      status: 201,
      response: spec.savedDto,
      problems: [400, 401, 403, 404, 422, 502],
    },
    (request) => spec.verbs.create(deps, requireActor(request), request.body as never),
  );

  route.get(
    base,
    {
      summary: spec.summaries.list,
      querystring: pageQuery.extend({ teamId: z.uuid() }),
      response: pageOf(spec.dto),
      problems: [400, 401, 404],
    },
    (request) => spec.verbs.list(deps, requireActor(request), request.query),
  );

  route.get(
    item,
    { summary: spec.summaries.get, params, response: spec.dto, problems: [400, 401, 404] },
    (request) => spec.verbs.get(deps, requireActor(request), idOf(request)),
  );

  route.patch(
    item,
    {
      summary: `Change ${spec.noun === 'alert' ? 'an' : 'a'} ${spec.noun} (a new webhook URL or rotateWebhookSecret answers a new secret, once)`,
      params,
      body: z
        .object({
          name: workName.optional(),
          schedule: schedule.optional(),
          timeZone: timeZone.optional(),
          delivery: delivery.optional(),
          enabled: z.boolean().optional(),
          rotateWebhookSecret: z.boolean().optional(),
          ...spec.changeFields,
        })
        .strict(),
      response: spec.savedDto,
      problems: [400, 401, 403, 404, 422, 502],
    },
    (request) => spec.verbs.update(deps, requireActor(request), idOf(request), request.body as never),
  );

  route.delete(
    item,
    { summary: spec.summaries.delete, params, status: 204, problems: [400, 401, 403, 404] },
    (request) => spec.verbs.remove(deps, requireActor(request), idOf(request)),
  );

  route.post(
    `${item}/${spec.trigger.path}`,
    {
      summary: spec.trigger.summary,
      params,
      status: 202,
      response: queuedRunDto,
      problems: [400, 401, 403, 404],
    },
    (request) => spec.trigger.run(deps, requireActor(request), idOf(request)),
  );

  route.get(
    `${item}/${spec.history.path}`,
    {
      summary: spec.history.summary,
      params,
      querystring: pageQuery,
      response: pageOf(spec.history.dto),
      problems: [400, 401, 404],
    },
    (request) => spec.history.list(deps, requireActor(request), idOf(request), request.query),
  );
}
