import { requireActor } from '@conduit/auth';
import { problemResponses, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import { sharePermissions } from '../db/schema.js';
import type { WorkflowDeps } from '../deps.js';
import { listShares } from '../domain/shares/list-shares.js';
import { revokeShare } from '../domain/shares/revoke-share.js';
import { shareDto } from '../domain/shares/share-dto.js';
import { shareWorkflow } from '../domain/shares/share-workflow.js';
import { workflowParams } from './workflow-routes.js';

const tags = ['shares'];
const security = [{ bearer: [] }];

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
  app.get(
    '/v1/workflows/:workflowId/shares',
    {
      schema: {
        tags,
        security,
        summary: 'Who a workflow is shared with (expired shares marked inactive)',
        params: workflowParams,
        response: { 200: z.object({ items: z.array(shareDto) }), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => listShares(deps, requireActor(request), request.params.workflowId),
  );

  app.post(
    '/v1/workflows/:workflowId/shares',
    {
      schema: {
        tags,
        security,
        summary: 'Share a workflow with a user or a team to view, run or edit it (replaces their share)',
        params: workflowParams,
        body: shareBody,
        response: { 200: shareDto, 201: shareDto, ...problemResponses(400, 401, 403, 404, 422) },
      },
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

  app.delete(
    '/v1/workflows/:workflowId/shares/:shareId',
    {
      schema: {
        tags,
        security,
        summary: 'Revoke a share',
        params: workflowParams.extend({ shareId: z.uuid() }),
        response: { 204: z.null(), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await revokeShare(deps, requireActor(request), request.params.workflowId, request.params.shareId);
      return reply.code(204).send(null);
    },
  );
}
