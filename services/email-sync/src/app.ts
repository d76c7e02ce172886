import { identityVerifier, registerProtectedRoutes } from '@conduit/auth';
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
  await registerProtectedRoutes(app, identityVerifier(deps.verifier, deps.env.IDENTITY_URL), (routes) => {
    accountRoutes(routes, deps);
    folderRoutes(routes, deps);
    messageRoutes(routes, deps);
    draftRoutes(routes, deps);
    sendingRoutes(routes, deps);
    templateRoutes(routes, deps);
  });
  return app;
}
