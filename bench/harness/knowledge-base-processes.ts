import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ChildService, freePort, startChildService } from './child-service.js';

const serviceDir = fileURLToPath(new URL('../../services/knowledge-base/', import.meta.url));

/**
 * The knowledge-base service as `pnpm start` runs it: its HTTP server and its indexing worker,
 * each a process of its own (`src/server.ts`, `src/worker.ts`) with the service's defaults, on
 * the settings `shared` gives (database, Redis, NATS, namespace, identity's URL). The worker has
 * no port: it is started once the server is ready (migrated), and "ready" is the server's.
 */
export async function startKnowledgeBaseProcesses(shared: Record<string, string>): Promise<ChildService> {
  const port = await freePort();
  const env = { ...shared, KNOWLEDGE_BASE_PORT: String(port), KNOWLEDGE_BASE_HOST: '127.0.0.1' };
  const server = await startChildService({
    name: 'knowledge-base',
    entry: join(serviceDir, 'src/server.ts'),
    cwd: serviceDir,
    port,
    readyPath: '/health/ready',
    env,
  });
  await startChildService({
    name: 'knowledge-base-worker',
    entry: join(serviceDir, 'src/worker.ts'),
    cwd: serviceDir,
    port,
    readyPath: '/health/live',
    env,
  });
  return server;
}
