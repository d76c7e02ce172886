import { requireActor } from '@conduit/auth';
import { storableText } from '@conduit/contracts';
import { problemResponses, type ServiceApp } from '@conduit/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { IdentityDeps } from '../deps.js';
import { changePlan } from '../domain/usage/change-plan.js';
import { getMySubscription, getTeamSubscription } from '../domain/usage/get-subscription.js';
import { listPlans } from '../domain/usage/list-plans.js';
import { clientInfo } from './client-info.js';

const tags = ['subscriptions'];
const security = [{ bearer: [] }];
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
      limit: z.number().int(),
      remaining: z.number().int(),
    }),
  ),
});
const planDto = z.object({ id: z.string(), name: z.string(), limits: z.record(z.string(), z.number()) });

/**
 * Admin routes answer a non-admin exactly as a route that does not exist, before the input is
 * validated (a 400 would tell that the route is there).
 */
async function hiddenUnlessPlatformAdmin(request: FastifyRequest, reply: FastifyReply) {
  if (!request.auth?.actor.platformAdmin) return reply.callNotFound();
}

/** Plans, subscriptions and their usage; registered behind `authenticate`. */
export function subscriptionRoutes(app: ServiceApp, deps: IdentityDeps) {
  app.get(
    '/v1/me/subscription',
    {
      schema: {
        tags,
        security,
        summary: 'My plan, current period (with its reset date) and usage',
        response: { 200: subscriptionDto, ...problemResponses(401) },
      },
    },
    async (request) => getMySubscription(deps, requireActor(request)),
  );

  app.get(
    '/v1/teams/:id/subscription',
    {
      schema: {
        tags,
        security,
        summary: "A team's plan, current period and usage (its members only)",
        params: z.object({ id: z.uuid() }),
        response: { 200: subscriptionDto, ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => getTeamSubscription(deps, requireActor(request), request.params.id),
  );

  app.get(
    '/v1/plans',
    {
      schema: {
        tags,
        security,
        summary: 'The plans and their monthly limits',
        response: { 200: z.object({ items: z.array(planDto) }), ...problemResponses(401) },
      },
    },
    async (request) => listPlans(deps, requireActor(request)),
  );

  app.put(
    '/v1/admin/subscriptions/:subjectType/:subjectId',
    {
      preValidation: hiddenUnlessPlatformAdmin,
      schema: {
        tags: ['admin'],
        security,
        summary: 'Put a user or team on a plan (platform admins; 404 for anyone else)',
        params: z.object({ subjectType, subjectId: z.uuid() }),
        body: z.object({ planId: storableText(64).min(1) }).strict(),
        response: { 200: subscriptionDto, ...problemResponses(400, 401, 404, 422) },
      },
    },
    async (request) =>
      changePlan(
        deps,
        requireActor(request),
        { type: request.params.subjectType, id: request.params.subjectId },
        request.body.planId,
        clientInfo(request),
      ),
  );
}
