import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery, readableText } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { IdentityDeps } from '../deps.js';
import { listMyCreditLedger } from '../domain/credits/list-credit-ledger.js';
import { getMyProfile, updateMyProfile } from '../domain/profiles/my-profile.js';

const profileDto = z.object({
  userId: z.uuid(),
  displayName: z.string(),
  displayNameSet: z.boolean(),
  credits: z.number().int(),
  updatedAt: z.string(),
});
const ledgerEntryDto = z.object({
  id: z.uuid(),
  /** top_up (> 0), spend (< 0: what AI usage drew beyond the plan's quota), release (> 0: given back) */
  kind: z.enum(['top_up', 'spend', 'release']),
  amount: z.number().int(),
  reason: z.string().nullable(),
  reservationId: z.uuid().nullable(),
  createdAt: z.string(),
});

/** The caller's profile, AI credit balance and credit ledger; registered behind `authenticate`. */
export function profileRoutes(app: ServiceApp, deps: IdentityDeps) {
  const route = routeGroup(app, { tags: ['me'] });
  route.get(
    '/v1/me/profile',
    {
      summary: 'My profile: display name and AI credit balance (spent once the plan quota is used up)',
      response: profileDto,
      problems: [401],
    },
    (request) => getMyProfile(deps, requireActor(request)),
  );

  route.patch(
    '/v1/me/profile',
    {
      summary: 'Set or clear my display name',
      body: z.object({ displayName: readableText(100).min(1).nullable() }).strict(),
      response: profileDto,
      problems: [400, 401],
    },
    (request) => updateMyProfile(deps, requireActor(request), request.body),
  );

  route.get(
    '/v1/me/credits',
    {
      summary: 'My AI credit ledger, newest first: top-ups, what AI usage drew and what came back',
      querystring: pageQuery,
      response: pageOf(ledgerEntryDto),
      problems: [400, 401],
    },
    (request) => listMyCreditLedger(deps, requireActor(request), request.query),
  );
}
