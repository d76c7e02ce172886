import { requireActor } from '@conduit/auth';
import { readableText, storableJsonObject, userDto } from '@conduit/contracts';
import { problemResponses, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { IdentityDeps } from '../deps.js';
import { getPreferences, PREFERENCES_LIMITS, putPreferences } from '../domain/me/preferences.js';
import { getMe, updateMe } from '../domain/me/profile.js';
import { USERNAME_PATTERN } from '../domain/users/username.js';

const tags = ['me'];
const security = [{ bearer: [] }];
const preferencesDto = z.object({ preferences: z.record(z.string(), z.unknown()), updatedAt: z.string() });

/** The caller's own account; registered behind `authenticate`. */
export function meRoutes(app: ServiceApp, deps: IdentityDeps) {
  app.get(
    '/v1/me',
    {
      schema: { tags, security, summary: 'My account', response: { 200: userDto, ...problemResponses(401) } },
    },
    async (request) => getMe(deps, requireActor(request)),
  );

  app.patch(
    '/v1/me',
    {
      schema: {
        tags,
        security,
        summary: 'Change my name or username',
        body: z
          .object({
            name: readableText(200).nullable().optional(),
            username: z
              .string()
              .max(40)
              .regex(
                USERNAME_PATTERN,
                '3-40 letters, digits, ".", "_" or "-", starting with a letter or digit',
              )
              .optional(),
          })
          .strict()
          .refine((body) => Object.keys(body).length > 0, 'give name or username'),
        response: { 200: userDto, ...problemResponses(400, 401, 409) },
      },
    },
    async (request) => updateMe(deps, requireActor(request), request.body),
  );

  app.get(
    '/v1/me/preferences',
    {
      schema: {
        tags,
        security,
        summary: 'My preferences (a JSON document of my choosing)',
        response: { 200: preferencesDto, ...problemResponses(401) },
      },
    },
    async (request) => getPreferences(deps, requireActor(request)),
  );

  app.put(
    '/v1/me/preferences',
    {
      schema: {
        tags,
        security,
        summary: 'Replace my preferences',
        body: z.object({ preferences: storableJsonObject(PREFERENCES_LIMITS) }),
        response: { 200: preferencesDto, ...problemResponses(400, 401, 422) },
      },
    },
    async (request) => putPreferences(deps, requireActor(request), request.body.preferences),
  );
}
