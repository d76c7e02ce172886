import { platformAdminOnly, requireActor } from '@conduit/auth';
import { readableText } from '@conduit/contracts';
import { clientInfo, routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { IdentityDeps } from '../deps.js';
import { topUpCredits } from '../domain/credits/top-up-credits.js';
import type { SubjectType } from '../domain/subjects/subject.js';

const topUpBody = z
  .object({
    amount: z.number().int().min(1).max(1_000_000_000),
    reason: readableText(500).min(1),
  })
  .strict();
const balanceDto = z.object({
  subject: z.object({ type: z.enum(['user', 'team']), id: z.uuid() }),
  balance: z.number().int(),
  entryId: z.uuid(),
});

/** Platform admins top up AI credits; registered behind `authenticate`. */
export function creditRoutes(app: ServiceApp, deps: IdentityDeps) {
  const admin = routeGroup(app, { tags: ['admin'] });
  const topUpRoute = (type: SubjectType, path: string) =>
    admin.post(
      path,
      {
        preValidation: platformAdminOnly,
        summary: `Top up a ${type}'s AI credits (platform admins), recorded in the credit ledger`,
        params: z.object({ id: z.uuid() }),
        body: topUpBody,
        status: 201,
        response: balanceDto,
        problems: [400, 401, 403, 404],
      },
      (request) =>
        topUpCredits(
          deps,
          requireActor(request),
          { type, id: request.params.id },
          request.body,
          clientInfo(request),
        ),
    );
  topUpRoute('user', '/v1/admin/users/:id/credits');
  topUpRoute('team', '/v1/admin/teams/:id/credits');
}
