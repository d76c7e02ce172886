import { identityVerifier, registerProtectedRoutes } from '@conduit/auth';
import { buildService, type ReadinessChecks, type ServiceApp } from '@conduit/service-kit';
import type { WorkflowDeps } from './deps.js';
import { adminJobRoutes } from './routes/admin-job-routes.js';
import { automationRoutes } from './routes/automation-routes.js';
import { credentialRoutes } from './routes/credential-routes.js';
import { executionRoutes } from './routes/execution-routes.js';
import { hookRoutes } from './routes/hook-routes.js';
import { integrationRoutes } from './routes/integration-routes.js';
import { nodeTypeRoutes } from './routes/node-type-routes.js';
import { shareRoutes } from './routes/share-routes.js';
import { templateRoutes } from './routes/template-routes.js';
import { workflowRoutes } from './routes/workflow-routes.js';

/** Workflow-engine's HTTP surface; nothing listens here (server.ts does, tests inject). */
export async function buildApp(deps: WorkflowDeps, readiness: ReadinessChecks = {}): Promise<ServiceApp> {
  const app = await buildService({
    name: 'workflow-engine',
    description:
      'Workflows as graphs of nodes, durable executions, webhooks, schedules, templates and shares',
    logger: deps.log,
    readiness,
    trustProxy: deps.env.TRUST_PROXY,
    bodyLimit: 4 * 1024 * 1024,
  });
  await registerProtectedRoutes(app, identityVerifier(deps.verifier, deps.env.IDENTITY_URL), (routes) => {
    nodeTypeRoutes(routes);
    templateRoutes(routes, deps);
    credentialRoutes(routes, deps);
    integrationRoutes(routes, deps);
    automationRoutes(routes, deps);
    adminJobRoutes(routes, deps);
    workflowRoutes(routes, deps);
    shareRoutes(routes, deps);
    executionRoutes(routes, deps);
  });
  // Webhooks are public: the workflow's id and path are the address, its owner the actor.
  await app.register(async (scope) => hookRoutes(scope as unknown as ServiceApp, deps));
  return app;
}
