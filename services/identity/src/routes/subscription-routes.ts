import { platformAdminOnly, requireActor } from '@conduit/auth';
import { storableText } from '@conduit/contracts';
import { clientInfo, routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { IdentityDeps } from '../deps.js';
import { changePlan } from '../domain/usage/change-plan.js';
import { getMySubscription, getTeamSubscription } from '../domain/usage/get-subscription.js';
import { listPlans } from '../domain/usage/list-plans.js';

const tags = ['subscriptions'];
const subjectType = z.enum(['user', 'team']);
const subscriptionDto = z.object({
  subject: z.object({ type: subjectType, id: z.uuid() }),
  plan: z.object({ id: z.string(), name: z.string() }),
  periodStart: z.string(),
  /** When the counters reset. */
  periodEnd: z.string(),
  usage: z.array(
    z.object({
      metric: z.string(),
      used: z.number().int(),
      /** Null for storage the plan does not limit (still counted in `used`). */
      limit: z.number().int().nullable(),
      remaining: z.number().int().nullable(),
    }),
  ),
  /** Bought AI credits beside the plan, spent once its monthly `ai_credits` are used up. */
  credits: z.number().int(),
});
const planDto = z.object({ id: z.string(), name: z.string(), limits: z.record(z.string(), z.number()) });

/** Plans, subscriptions and their usage; registered behind `authenticate`. */
export function subscriptionRoutes(app: ServiceApp, deps: IdentityDeps) {
  const route = routeGroup(app, { tags });
  const admin = routeGroup(app, { tags: ['admin'] });
  route.get(
    '/v1/me/subscription',
    {
      summary: 'My plan, current period (with its reset date) and usage',
      response: subscriptionDto,
      problems: [401],
    },
    (request) => getMySubscription(deps, requireActor(request)),
  );

  route.get(
    '/v1/teams/:id/subscription',
    {
      summary: "A team's plan, current period and usage (its members only)",
      params: z.object({ id: z.uuid() }),
      response: subscriptionDto,
      problems: [400, 401, 404],
    },
    (request) => getTeamSubscription(deps, requireActor(request), request.params.id),
  );

  route.get(
    '/v1/plans',
    {
      summary: 'The plans and their monthly limits',
      response: z.object({ items: z.array(planDto) }),
      problems: [401],
    },
    (request) => listPlans(deps, requireActor(request)),
  );

  admin.put(
    '/v1/admin/subscriptions/:subjectType/:subjectId',
    {
      preValidation: platformAdminOnly,
      summary: 'Put a user or team on a plan (platform admins; 403 for anyone else)',
      params: z.object({ subjectType, subjectId: z.uuid() }),
      body: z.object({ planId: storableText(64).min(1) }).strict(),
      response: subscriptionDto,
      problems: [400, 401, 403, 404, 422],
    },
    (request) =>
      changePlan(
        deps,
        requireActor(request),
        { type: request.params.subjectType, id: request.params.subjectId },
        request.body.planId,
        clientInfo(request),
      ),
  );
}
