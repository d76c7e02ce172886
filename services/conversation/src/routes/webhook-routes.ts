import { WEBHOOK_NAME } from '@conduit/basic';
import { storableJsonObject, storableText } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ConversationDeps } from '../deps.js';
import { countWidgetRequest } from '../domain/apps/widget-rate-limit.js';
import { callWebhook } from '../domain/handlers/call-webhook.js';

// A bot's webhooks (General Bots' WEBHOOK "name"): public endpoints that run the bot's script of
// that name. They are conversation's own routes rather than the workflow engine's webhook trigger
// because what such a script does is the bot's: its tables, its memory, as its owner; the engine's
// automations reach none of that. See docs/architecture.md.

const tags = ['bot webhooks'];
const params = z.object({ botId: z.uuid(), name: z.string().max(63).regex(WEBHOOK_NAME) });
// Any parameters the caller sends (General Bots' `params`); the URL's own limit bounds their names.
const query = z.object({}).catchall(storableText(2000)).optional();
const body = storableJsonObject({ maxDepth: 32, maxBytes: 64 * 1024 }).optional();
const summary =
  'Runs the bot\'s script that declares WEBHOOK "name"; answers what it RETURNs (or its result_* variables)';
const description =
  'No authentication: anyone who knows the address may call it, so a script that must trust its caller ' +
  'checks a secret of its own (a header or a parameter). The script sees `params` (the query), `body`, ' +
  "`headers` (without cookies or authorization), `method` and `path`, and acts as the bot's owner. 422 when the script stops " +
  "with an error (the reason is recorded in the script's runs, GET /v1/bots/:botId/tools/:name/runs, never answered); " +
  'rate limited like the widget API.';

/**
 * The request's headers a script may read: cookies and credentials are the caller's (a browser's
 * session, a token meant for Conduit or a proxy), never the bot's to keep or pass on.
 */
const HIDDEN_HEADERS = new Set(['cookie', 'authorization', 'proxy-authorization']);

function headersOf(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (HIDDEN_HEADERS.has(name) || value === undefined) continue;
    out[name] = (Array.isArray(value) ? value.join(', ') : value).slice(0, 2000);
  }
  return out;
}

export function webhookRoutes(app: ServiceApp, deps: ConversationDeps) {
  const open = routeGroup(app, { tags, security: null });
  const handle = async (
    request: FastifyRequest,
    input: { botId: string; name: string; query: Record<string, string> | undefined; body: unknown },
  ) => {
    await countWidgetRequest(deps, `webhook:${input.botId}`, `address:${request.ip}`);
    return callWebhook(
      deps,
      input.botId,
      input.name,
      {
        params: input.query ?? {},
        body: (input.body ?? {}) as Record<string, unknown>,
        headers: headersOf(request),
        method: request.method,
        path: request.url.split('?')[0] ?? request.url,
      },
      request.log,
    );
  };
  const spec = {
    summary,
    description,
    params,
    querystring: query,
    response: z.unknown(),
    problems: [400, 404, 422, 429],
  };
  open.get('/v1/public/bots/:botId/webhooks/:name', spec, (request) =>
    handle(request, { ...request.params, query: request.query, body: undefined }),
  );
  open.post('/v1/public/bots/:botId/webhooks/:name', { ...spec, body }, (request) =>
    handle(request, { ...request.params, query: request.query, body: request.body }),
  );
}
