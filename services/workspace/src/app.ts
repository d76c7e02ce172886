import { identityVerifier, registerProtectedRoutes } from '@conduit/auth';
import { buildService, type ReadinessChecks, type ServiceApp } from '@conduit/service-kit';
import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import type { WorkspaceDeps } from './deps.js';
import { botFileRoutes } from './routes/bot-file-routes.js';
import { chatRoutes } from './routes/chat-routes.js';
import { mediaRoutes } from './routes/media-routes.js';
import { preferenceRoutes } from './routes/preference-routes.js';
import { projectRoutes } from './routes/project-routes.js';
import { publicMediaRoutes } from './routes/public-media-routes.js';
import { syncRoutes } from './routes/sync-routes.js';

/** The workspace's HTTP surface; nothing listens here (server.ts does, tests inject). */
export async function buildApp(deps: WorkspaceDeps, readiness: ReadinessChecks = {}): Promise<ServiceApp> {
  const app = await buildService({
    name: 'workspace',
    description: 'Preferences, client-encrypted chats, projects, files and the delta sync of a workspace',
    logger: deps.log,
    readiness,
    trustProxy: deps.env.TRUST_PROXY,
    // An encrypted chat in base64 is the largest JSON body; files come as multipart, streamed.
    bodyLimit: Math.ceil(deps.env.ENCRYPTED_CHAT_LIMIT_BYTES / 3) * 4 + 64 * 1024,
  });
  await (app as unknown as FastifyInstance).register(multipart, {
    limits: { fileSize: deps.env.UPLOAD_LIMIT_BYTES, files: 1, fields: 5, fieldSize: 1024, parts: 10 },
  });
  publicMediaRoutes(app, deps);
  await registerProtectedRoutes(app, identityVerifier(deps.verifier, deps.env.IDENTITY_URL), (routes) => {
    preferenceRoutes(routes, deps);
    chatRoutes(routes, deps);
    projectRoutes(routes, deps);
    mediaRoutes(routes, deps);
    syncRoutes(routes, deps);
    botFileRoutes(routes, deps);
  });
  return app;
}
