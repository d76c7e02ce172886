import { requireActor } from '@conduit/auth';
import { readableText } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { IdentityDeps } from '../deps.js';
import { getMyProfile, updateMyProfile } from '../domain/profiles/my-profile.js';

const profileDto = z.object({
  userId: z.uuid(),
  displayName: z.string(),
  displayNameSet: z.boolean(),
  credits: z.number().int(),
  updatedAt: z.string(),
});

/** The caller's profile and AI credit balance; registered behind `authenticate`. */
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
}
