import { platformAdminOnly, requireActor } from '@conduit/auth';
import { globalSettingsSchema } from '@conduit/contracts';
import { clientInfo, routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { IdentityDeps } from '../deps.js';
import { getAdminSettings, getPublicSettings } from '../domain/settings/get-settings.js';
import { updateGlobalSettings } from '../domain/settings/update-settings.js';

/** The global settings for platform admins; registered behind `authenticate`. */
export function adminSettingsRoutes(app: ServiceApp, deps: IdentityDeps) {
  const admin = routeGroup(app, { tags: ['admin'] });
  admin.get(
    '/v1/admin/settings',
    {
      preValidation: platformAdminOnly,
      summary: 'The global settings (platform admins)',
      response: globalSettingsSchema,
      problems: [401, 403],
    },
    (request) => getAdminSettings(deps, requireActor(request)),
  );

  admin.put(
    '/v1/admin/settings',
    {
      preValidation: platformAdminOnly,
      summary: 'Replace the global settings (platform admins); each change is audited and announced',
      body: globalSettingsSchema.strict(),
      response: globalSettingsSchema,
      problems: [400, 401, 403, 422],
    },
    (request) => updateGlobalSettings(deps, requireActor(request), request.body, clientInfo(request)),
  );
}

/** What a sign-in page shows before anyone signs in; public. */
export function publicSettingsRoutes(app: ServiceApp, deps: IdentityDeps) {
  const route = routeGroup(app, { tags: ['settings'], security: null });
  route.get(
    '/v1/settings/public',
    {
      summary: "The site's name and whether sign-up is open (no token needed)",
      response: z.object({ siteName: z.string(), signUpOpen: z.boolean() }),
      problems: [],
    },
    () => getPublicSettings(deps),
  );
}
