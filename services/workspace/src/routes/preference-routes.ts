import { requireActor } from '@conduit/auth';
import { storableJsonObject, storableText } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { WorkspaceDeps } from '../deps.js';
import {
  getCustomization,
  getPreferences,
  getTheme,
  putCustomization,
  putPreferences,
  putTheme,
} from '../domain/preferences/user-settings.js';

const tags = ['workspace'];
const updatedAt = z.iso.datetime().nullable();
const smallJson = storableJsonObject({ maxDepth: 8, maxBytes: 16 * 1024 });

const preferences = z.object({
  preferredModel: storableText(200).nullable(),
  systemPrompt: storableText(8000).nullable(),
});
const theme = z.object({
  mode: z.enum(['light', 'dark', 'system']),
  accentColor: z
    .string()
    .max(7)
    .regex(/^#[0-9a-fA-F]{6}$/, 'a color such as #3366ff')
    .nullable(),
  fontSize: z.enum(['small', 'medium', 'large']),
  custom: smallJson,
});
const customization = z.object({
  showTimestamps: z.boolean(),
  showModelNames: z.boolean(),
  compactMode: z.boolean(),
  sendOnEnter: z.boolean(),
  features: smallJson,
});

/** A PUT replaces the whole row: what it leaves out takes its default. */
const preferencesBody = z
  .object({
    preferredModel: preferences.shape.preferredModel.default(null),
    systemPrompt: preferences.shape.systemPrompt.default(null),
  })
  .strict();
const themeBody = z
  .object({
    mode: theme.shape.mode.default('system'),
    accentColor: theme.shape.accentColor.default(null),
    fontSize: theme.shape.fontSize.default('medium'),
    custom: smallJson.default({}),
  })
  .strict();
const customizationBody = z
  .object({
    showTimestamps: z.boolean().default(true),
    showModelNames: z.boolean().default(true),
    compactMode: z.boolean().default(false),
    sendOnEnter: z.boolean().default(true),
    features: smallJson.default({}),
  })
  .strict();

/** The caller's own settings: model and system prompt, theme, display preferences. */
export function preferenceRoutes(app: ServiceApp, deps: WorkspaceDeps) {
  const route = routeGroup(app, { tags });

  route.get(
    '/v1/workspace/preferences',
    {
      summary: 'My preferred model and system prompt',
      response: preferences.extend({ updatedAt }),
      problems: [401],
    },
    (request) => getPreferences(deps, requireActor(request)),
  );
  route.put(
    '/v1/workspace/preferences',
    {
      summary: 'Set my preferred model and system prompt (fields left out are cleared)',
      body: preferencesBody,
      response: preferences.extend({ updatedAt }),
      problems: [400, 401],
    },
    (request) => putPreferences(deps, requireActor(request), request.body),
  );

  route.get(
    '/v1/workspace/theme',
    { summary: 'My theme', response: theme.extend({ updatedAt }), problems: [401] },
    (request) => getTheme(deps, requireActor(request)),
  );
  route.put(
    '/v1/workspace/theme',
    {
      summary: 'Set my theme (fields left out take their defaults)',
      body: themeBody,
      response: theme.extend({ updatedAt }),
      problems: [400, 401],
    },
    (request) => putTheme(deps, requireActor(request), request.body),
  );

  route.get(
    '/v1/workspace/customization',
    { summary: 'My display preferences', response: customization.extend({ updatedAt }), problems: [401] },
    (request) => getCustomization(deps, requireActor(request)),
  );
  route.put(
    '/v1/workspace/customization',
    {
      summary: 'Set my display preferences (fields left out take their defaults)',
      body: customizationBody,
      response: customization.extend({ updatedAt }),
      problems: [400, 401],
    },
    (request) => putCustomization(deps, requireActor(request), request.body),
  );
}
