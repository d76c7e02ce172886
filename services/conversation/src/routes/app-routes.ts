import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery, readableText, storableText } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import { appStatuses } from '../db/schema.js';
import type { ConversationDeps } from '../deps.js';
import {
  appDto,
  appearanceDto,
  appearanceInput,
  appParams,
  domainDto,
  promptSettingsDto,
  promptSettingsInput,
  restrictedUrlDto,
} from '../domain/apps/app-dto.js';
import {
  getAppearance,
  getAppSettings,
  getPromptSettings,
  replaceAppSettings,
  updateAppearance,
  updatePromptSettings,
} from '../domain/apps/app-look.js';
import {
  addDomain,
  addRestrictedUrl,
  listDomains,
  listRestrictedUrls,
  removeDomain,
  removeRestrictedUrl,
  verifyDomain,
} from '../domain/apps/embedding-places.js';
import {
  createApp,
  deleteApp,
  getApp,
  listApps,
  rotateAppKey,
  updateApp,
} from '../domain/apps/manage-apps.js';

const tags = ['apps'];

/** A host name (IDN as punycode), lower case, with an optional port. */
const domainName = z
  .string()
  .trim()
  .toLowerCase()
  .max(260)
  .regex(
    /^(?=[^:]{1,253}(?::|$))[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*(?::\d{1,5})?$/,
    'must be a domain name, optionally with a port',
  );

const settingKey = z.string().regex(/^[A-Za-z0-9][\w.-]{0,99}$/, 'letters, digits, _ . - (at most 100)');
const settingsBody = z.object({
  settings: z
    .record(settingKey, storableText(4000))
    .refine((settings) => Object.keys(settings).length <= 100, 'at most 100 settings'),
});

/** Apps: a bot published to websites, with its look, prompt settings, settings, URLs and domains. */
export function appRoutes(app: ServiceApp, deps: ConversationDeps) {
  const route = routeGroup(app, { tags });

  route.post(
    '/v1/apps',
    {
      summary: "Create an app that publishes a bot to websites (yours, or a team's you own or administer)",
      body: z.object({
        name: readableText(200),
        botId: z.uuid(),
        teamId: z.uuid().nullable().optional(),
        status: z.enum(appStatuses).optional(),
      }),
      status: 201,
      response: appDto,
      problems: [400, 401, 403, 404],
    },
    (request) => createApp(deps, requireActor(request), request.body),
  );

  route.get(
    '/v1/apps',
    {
      summary: 'The apps I can read, newest first',
      querystring: pageQuery,
      response: pageOf(appDto),
      problems: [400, 401],
    },
    (request) => listApps(deps, requireActor(request), request.query),
  );

  route.get(
    '/v1/apps/:appId',
    { summary: 'An app', params: appParams, response: appDto, problems: [400, 401, 404] },
    (request) => getApp(deps, requireActor(request), request.params.appId),
  );

  route.patch(
    '/v1/apps/:appId',
    {
      summary: 'Rename an app, change its status or its bot',
      params: appParams,
      body: z.object({
        name: readableText(200).optional(),
        status: z.enum(appStatuses).optional(),
        botId: z.uuid().optional(),
      }),
      response: appDto,
      problems: [400, 401, 403, 404],
    },
    (request) => updateApp(deps, requireActor(request), request.params.appId, request.body),
  );

  route.delete(
    '/v1/apps/:appId',
    { summary: 'Delete an app', params: appParams, status: 204, problems: [400, 401, 403, 404] },
    (request) => deleteApp(deps, requireActor(request), request.params.appId),
  );

  route.post(
    '/v1/apps/:appId/rotate-key',
    {
      summary: 'Give the app a new public key (pages naming the old one stop working)',
      params: appParams,
      response: appDto,
      problems: [400, 401, 403, 404],
    },
    (request) => rotateAppKey(deps, requireActor(request), request.params.appId),
  );

  route.get(
    '/v1/apps/:appId/appearance',
    { summary: "The app's look", params: appParams, response: appearanceDto, problems: [400, 401, 404] },
    (request) => getAppearance(deps, requireActor(request), request.params.appId),
  );

  route.patch(
    '/v1/apps/:appId/appearance',
    {
      summary: "Change the app's look (logo and avatar: public image media ids)",
      params: appParams,
      body: appearanceInput,
      response: appearanceDto,
      problems: [400, 401, 403, 404, 422, 503],
    },
    (request) => updateAppearance(deps, requireActor(request), request.params.appId, request.body),
  );

  route.get(
    '/v1/apps/:appId/prompt-settings',
    {
      summary: "The app's prompt settings (over the bot's)",
      params: appParams,
      response: promptSettingsDto,
      problems: [400, 401, 404],
    },
    (request) => getPromptSettings(deps, requireActor(request), request.params.appId),
  );

  route.patch(
    '/v1/apps/:appId/prompt-settings',
    {
      summary: "Change the app's system prompt, model, temperature or max tokens (null: the bot's own)",
      params: appParams,
      body: promptSettingsInput,
      response: promptSettingsDto,
      problems: [400, 401, 403, 404],
    },
    (request) => updatePromptSettings(deps, requireActor(request), request.params.appId, request.body),
  );

  route.get(
    '/v1/apps/:appId/settings',
    {
      summary: "The app's key/value settings",
      params: appParams,
      response: settingsBody,
      problems: [400, 401, 404],
    },
    (request) => getAppSettings(deps, requireActor(request), request.params.appId),
  );

  route.put(
    '/v1/apps/:appId/settings',
    {
      summary: "Replace the app's key/value settings",
      params: appParams,
      body: settingsBody,
      response: settingsBody,
      problems: [400, 401, 403, 404],
    },
    (request) => replaceAppSettings(deps, requireActor(request), request.params.appId, request.body.settings),
  );

  route.get(
    '/v1/apps/:appId/restricted-urls',
    {
      summary: 'Where the app may be embedded: page origins, each with an optional path prefix',
      params: appParams,
      querystring: pageQuery,
      response: pageOf(restrictedUrlDto),
      problems: [400, 401, 404],
    },
    (request) => listRestrictedUrls(deps, requireActor(request), request.params.appId, request.query),
  );

  route.post(
    '/v1/apps/:appId/restricted-urls',
    {
      summary: 'Allow pages under a URL (its origin, and its path as a prefix) to embed the app',
      params: appParams,
      body: z.object({ url: z.url({ protocol: /^https?$/ }).max(2000) }),
      status: 201,
      response: restrictedUrlDto,
      problems: [400, 401, 403, 404, 409, 422],
    },
    (request) => addRestrictedUrl(deps, requireActor(request), request.params.appId, request.body.url),
  );

  route.delete(
    '/v1/apps/:appId/restricted-urls/:urlId',
    {
      summary: 'Remove a restricted URL',
      params: appParams.extend({ urlId: z.uuid() }),
      status: 204,
      problems: [400, 401, 403, 404],
    },
    (request) => removeRestrictedUrl(deps, requireActor(request), request.params.appId, request.params.urlId),
  );

  route.get(
    '/v1/apps/:appId/domains',
    {
      summary: "The app's custom domains and their verification",
      params: appParams,
      querystring: pageQuery,
      response: pageOf(domainDto),
      problems: [400, 401, 404],
    },
    (request) => listDomains(deps, requireActor(request), request.params.appId, request.query),
  );

  route.post(
    '/v1/apps/:appId/domains',
    {
      summary:
        'Add a custom domain; serve its verificationToken at /.well-known/conduit-domain-verification, then verify',
      params: appParams,
      body: z.object({ domain: domainName }),
      status: 201,
      response: domainDto,
      problems: [400, 401, 403, 404, 409],
    },
    (request) => addDomain(deps, requireActor(request), request.params.appId, request.body.domain),
  );

  route.post(
    '/v1/apps/:appId/domains/:domainId/verify',
    {
      summary: "Fetch the domain's verification file and record whether it holds the token",
      params: appParams.extend({ domainId: z.uuid() }),
      response: domainDto,
      problems: [400, 401, 403, 404],
    },
    (request) => verifyDomain(deps, requireActor(request), request.params.appId, request.params.domainId),
  );

  route.delete(
    '/v1/apps/:appId/domains/:domainId',
    {
      summary: 'Remove a custom domain',
      params: appParams.extend({ domainId: z.uuid() }),
      status: 204,
      problems: [400, 401, 403, 404],
    },
    (request) => removeDomain(deps, requireActor(request), request.params.appId, request.params.domainId),
  );
}
