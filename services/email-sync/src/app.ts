import { authPlugin, createTokenVerifier } from '@conduit/auth';
import { buildService, type ReadinessChecks, type ServiceApp } from '@conduit/service-kit';
import type { MailDeps } from './deps.js';
import { accountRoutes } from './routes/account-routes.js';
import { draftRoutes } from './routes/draft-routes.js';
import { folderRoutes } from './routes/folder-routes.js';
import { messageRoutes } from './routes/message-routes.js';
import { sendingRoutes } from './routes/sending-routes.js';
import { templateRoutes } from './routes/template-routes.js';

/** Email-sync's HTTP surface; nothing listens here (server.ts does, tests inject). */
export async function buildApp(deps: MailDeps, readiness: ReadinessChecks = {}): Promise<ServiceApp> {
  const app = await buildService({
    name: 'email-sync',
    description: 'Mail accounts, synced folders and messages, search, drafts, sending and templates',
    logger: deps.log,
    readiness,
    trustProxy: deps.env.TRUST_PROXY,
    bodyLimit: 12 * 1024 * 1024,
  });
  const verifier =
    deps.verifier ?? createTokenVerifier({ jwksUrl: `${deps.env.IDENTITY_URL}/.well-known/jwks.json` });
  await app.register(authPlugin, { verifier });

  await app.register(async (scope) => {
    scope.addHook('onRequest', scope.authenticate);
    const routes = scope as unknown as ServiceApp;
    accountRoutes(routes, deps);
    folderRoutes(routes, deps);
    messageRoutes(routes, deps);
    draftRoutes(routes, deps);
    sendingRoutes(routes, deps);
    templateRoutes(routes, deps);
  });
  return app;
}
