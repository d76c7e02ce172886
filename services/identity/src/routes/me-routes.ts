import { requireActor } from '@conduit/auth';
import { readableText, storableJsonObject, userDto } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { IdentityDeps } from '../deps.js';
import { getPreferences, PREFERENCES_LIMITS, putPreferences } from '../domain/me/preferences.js';
import { getMe, updateMe } from '../domain/me/profile.js';
import { USERNAME_PATTERN } from '../domain/users/username.js';

const tags = ['me'];
const preferencesDto = z.object({ preferences: z.record(z.string(), z.unknown()), updatedAt: z.string() });

/** The caller's own account; registered behind `authenticate`. */
export function meRoutes(app: ServiceApp, deps: IdentityDeps) {
  const route = routeGroup(app, { tags });
  route.get('/v1/me', { summary: 'My account', response: userDto, problems: [401] }, (request) =>
    getMe(deps, requireActor(request)),
  );

  route.patch(
    '/v1/me',
    {
      summary: 'Change my name or username',
      body: z
        .object({
          name: readableText(200).nullable().optional(),
          username: z
            .string()
            .max(40)
            .regex(USERNAME_PATTERN, '3-40 letters, digits, ".", "_" or "-", starting with a letter or digit')
            .optional(),
        })
        .strict()
        .refine((body) => Object.keys(body).length > 0, 'give name or username'),
      response: userDto,
      problems: [400, 401, 409],
    },
    (request) => updateMe(deps, requireActor(request), request.body),
  );

  route.get(
    '/v1/me/preferences',
    { summary: 'My preferences (a JSON document of my choosing)', response: preferencesDto, problems: [401] },
    (request) => getPreferences(deps, requireActor(request)),
  );

  route.put(
    '/v1/me/preferences',
    {
      summary: 'Replace my preferences',
      body: z.object({ preferences: storableJsonObject(PREFERENCES_LIMITS) }),
      response: preferencesDto,
      problems: [400, 401, 422],
    },
    (request) => putPreferences(deps, requireActor(request), request.body.preferences),
  );
}
