import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import { sharePermissions } from '../db/schema.js';
import type { WorkflowDeps } from '../deps.js';
import { listShares } from '../domain/shares/list-shares.js';
import { revokeShare } from '../domain/shares/revoke-share.js';
import { shareDto } from '../domain/shares/share-dto.js';
import { shareWorkflow } from '../domain/shares/share-workflow.js';
import { workflowParams } from './workflow-routes.js';

const shareTerms = {
  permission: z.enum(sharePermissions),
  /** Absent or null: until revoked. */
  expiresAt: z.iso.datetime({ offset: true }).nullable().optional(),
};
const shareBody = z.union([
  z.object({ userId: z.uuid(), ...shareTerms }).strict(),
  z.object({ teamId: z.uuid(), ...shareTerms }).strict(),
]);

/** Sharing a workflow with users and teams; registered behind `authenticate`. */
export function shareRoutes(app: ServiceApp, deps: WorkflowDeps) {
  const route = routeGroup(app, { tags: ['shares'] });
  route.get(
    '/v1/workflows/:workflowId/shares',
    {
      summary: 'Who a workflow is shared with, oldest first (expired shares marked inactive)',
      params: workflowParams,
      querystring: pageQuery,
      response: pageOf(shareDto),
      problems: [400, 401, 403, 404],
    },
    (request) => listShares(deps, requireActor(request), request.params.workflowId, request.query),
  );

  route.post(
    '/v1/workflows/:workflowId/shares',
    {
      summary: 'Share a workflow with a user or a team to view, run or edit it (replaces their share)',
      params: workflowParams,
      body: shareBody,
      response: shareDto,
      responses: { 201: shareDto },
      problems: [400, 401, 403, 404, 422],
    },
    async (request, reply) => {
      const { share, created } = await shareWorkflow(
        deps,
        requireActor(request),
        request.params.workflowId,
        request.body,
      );
      return reply.code(created ? 201 : 200).send(share);
    },
  );

  route.delete(
    '/v1/workflows/:workflowId/shares/:shareId',
    {
      summary: 'Revoke a share',
      params: workflowParams.extend({ shareId: z.uuid() }),
      status: 204,
      problems: [400, 401, 403, 404],
    },
    (request) => revokeShare(deps, requireActor(request), request.params.workflowId, request.params.shareId),
  );
}
