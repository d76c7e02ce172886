import { identityVerifier, registerProtectedRoutes } from '@conduit/auth';
import { buildService, type ReadinessChecks, type ServiceApp } from '@conduit/service-kit';
import type { ConversationDeps } from './deps.js';
import { appRoutes } from './routes/app-routes.js';
import { botRoutes } from './routes/bot-routes.js';
import { configurationRoutes } from './routes/configuration-routes.js';
import { memoryRoutes } from './routes/memory-routes.js';
import { messageRoutes } from './routes/message-routes.js';
import { modelRoutes } from './routes/model-routes.js';
import { promptRoutes } from './routes/prompt-routes.js';
import { providerRoutes } from './routes/provider-routes.js';
import { publicAppRoutes } from './routes/public-app-routes.js';
import { sessionRoutes } from './routes/session-routes.js';
import { tableRoutes } from './routes/table-routes.js';
import { toolRoutes } from './routes/tool-routes.js';
import { webhookRoutes } from './routes/webhook-routes.js';

/** Conversation's HTTP surface; nothing listens here (server.ts does, tests inject). */
export async function buildApp(deps: ConversationDeps, readiness: ReadinessChecks = {}): Promise<ServiceApp> {
  const app = await buildService({
    name: 'conversation',
    description: 'Bots, chat sessions, messages, memories, tools and LLM providers',
    logger: deps.log,
    readiness,
    trustProxy: deps.env.TRUST_PROXY,
  });
  // config.csv is uploaded as it is; the route parses it.
  app.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string' }, (_request, body, done) =>
    done(null, body),
  );

  await registerProtectedRoutes(app, identityVerifier(deps.verifier, deps.env.IDENTITY_URL), (routes) => {
    botRoutes(routes, deps);
    configurationRoutes(routes, deps);
    memoryRoutes(routes, deps);
    toolRoutes(routes, deps);
    tableRoutes(routes, deps);
    sessionRoutes(routes, deps);
    messageRoutes(routes, deps);
    providerRoutes(routes, deps);
    modelRoutes(routes, deps);
    promptRoutes(routes, deps);
    appRoutes(routes, deps);
  });
  // The public widget API: visitors of apps, with tokens of their own (no user account).
  await app.register(async (scope) => publicAppRoutes(scope as unknown as ServiceApp, deps));
  // Bots' webhooks (WEBHOOK "name" scripts): public, no token.
  await app.register(async (scope) => webhookRoutes(scope as unknown as ServiceApp, deps));
  return app;
}
