import { identityVerifier, registerProtectedRoutes } from '@conduit/auth';
import { buildService, type ReadinessChecks, type ServiceApp } from '@conduit/service-kit';
import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import type { KnowledgeDeps } from './deps.js';
import { collectionRoutes } from './routes/collection-routes.js';
import { datasourceRoutes } from './routes/datasource-routes.js';
import { documentRoutes } from './routes/document-routes.js';
import { searchRoutes } from './routes/search-routes.js';
import { sessionRoutes } from './routes/session-routes.js';

/** Knowledge-base's HTTP surface; nothing listens here (server.ts does, tests inject). */
export async function buildApp(deps: KnowledgeDeps, readiness: ReadinessChecks = {}): Promise<ServiceApp> {
  const app = await buildService({
    name: 'knowledge-base',
    description: 'Knowledge bases: collections, documents, hybrid search, session knowledge bases',
    logger: deps.log,
    readiness,
    trustProxy: deps.env.TRUST_PROXY,
  });
  await (app as unknown as FastifyInstance).register(multipart, {
    limits: { fileSize: deps.env.UPLOAD_LIMIT_BYTES, files: 1, fields: 10, fieldSize: 64 * 1024, parts: 20 },
  });

  await registerProtectedRoutes(app, identityVerifier(deps.verifier, deps.env.IDENTITY_URL), (routes) => {
    collectionRoutes(routes, deps);
    documentRoutes(routes, deps);
    datasourceRoutes(routes, deps);
    searchRoutes(routes, deps);
    sessionRoutes(routes, deps);
  });
  return app;
}
