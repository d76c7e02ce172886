import { requireActor } from '@conduit/auth';
import { readableText, storableText } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { ConversationDeps } from '../deps.js';
import { botParams } from '../domain/bots/bot-dto.js';
import { getConfiguration, replaceConfiguration } from '../domain/configuration/bot-configuration.js';
import { parseConfigCsv, toConfigCsv } from '../domain/configuration/config-csv.js';

const tags = ['bot configuration'];
const entry = z.object({ key: readableText(200), value: storableText(10_000) });
const configuration = z.object({ items: z.array(entry) });

/** A bot's key / value settings, as JSON and as the config.csv General Bots users know. */
export function configurationRoutes(app: ServiceApp, deps: ConversationDeps) {
  const route = routeGroup(app, { tags });
  route.get(
    '/v1/bots/:botId/config',
    { summary: "A bot's settings", params: botParams, response: configuration, problems: [400, 401, 404] },
    async (request) => ({ items: await getConfiguration(deps, requireActor(request), request.params.botId) }),
  );

  route.put(
    '/v1/bots/:botId/config',
    {
      summary: "Replace a bot's settings",
      params: botParams,
      body: z.object({ items: z.array(entry).max(500) }),
      response: configuration,
      problems: [400, 401, 403, 404, 422],
    },
    async (request) => ({
      items: await replaceConfiguration(
        deps,
        requireActor(request),
        request.params.botId,
        request.body.items,
      ),
    }),
  );

  route.get(
    '/v1/bots/:botId/config.csv',
    {
      summary: "Export a bot's settings as config.csv (name,value)",
      params: botParams,
      response: z.string(),
      problems: [400, 401, 404],
    },
    async (request, reply) => {
      const entries = await getConfiguration(deps, requireActor(request), request.params.botId);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="config.csv"')
        .send(toConfigCsv(entries));
    },
  );

  route.put(
    '/v1/bots/:botId/config.csv',
    {
      summary: "Import a config.csv (Content-Type text/csv), replacing the bot's settings",
      params: botParams,
      body: storableText(1_000_000),
      response: configuration,
      problems: [400, 401, 403, 404, 415, 422],
    },
    async (request) => ({
      items: await replaceConfiguration(
        deps,
        requireActor(request),
        request.params.botId,
        parseConfigCsv(request.body),
      ),
    }),
  );
}
