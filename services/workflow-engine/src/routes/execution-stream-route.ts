import { requireActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { WorkflowDeps } from '../deps.js';
import { watchProgress } from '../domain/executions/execution-progress.js';
import { getExecution } from '../domain/executions/get-execution.js';

const FINAL = new Set(['success', 'error', 'canceled']);
/** A comment this often keeps proxies from closing a quiet stream; the state is looked at again too. */
const KEEP_ALIVE_MS = 15_000;

/**
 * Live progress of one execution as server-sent events: `execution` (the execution with its node
 * runs, as GET /v1/executions/:id gives it) at once and after every change, then `end` when it
 * has finished. Each change is read from Postgres under the caller's own access, when the worker
 * says the execution changed.
 */
export function executionStreamRoute(app: ServiceApp, deps: WorkflowDeps) {
  const open = new Set<() => void>();
  app.addHook('onClose', async () => {
    for (const end of open) end();
  });

  const route = routeGroup(app, { tags: ['executions'] });
  route.get(
    '/v1/executions/:executionId/stream',
    {
      summary: 'Live progress of an execution (text/event-stream: execution ... end)',
      params: z.object({ executionId: z.uuid() }),
      response: z.string().describe('text/event-stream of `execution` events, then `end`'),
      problems: [400, 401, 404],
    },
    async (request, reply) => {
      const actor = requireActor(request);
      const { executionId } = request.params;
      const watch = watchProgress(deps.bus, executionId);
      let snapshot: Awaited<ReturnType<typeof getExecution>>;
      try {
        snapshot = await getExecution(deps, actor, executionId);
      } catch (error) {
        watch.stop();
        throw error;
      }
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      let closed = false;
      const end = () => {
        if (closed) return;
        closed = true;
        watch.stop();
        open.delete(end);
        raw.end();
      };
      open.add(end);
      request.raw.on('close', end);
      const send = (event: string, data: unknown) =>
        raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      void follow(deps, actor, executionId, snapshot, {
        send,
        keepAlive: () => raw.write(': keep-alive\n\n'),
        changed: (ms) => watch.changed(ms),
        closed: () => closed,
      }).finally(end);
      return reply;
    },
  );
}

async function follow(
  deps: WorkflowDeps,
  actor: Actor,
  executionId: string,
  first: Awaited<ReturnType<typeof getExecution>>,
  stream: {
    send(event: string, data: unknown): void;
    keepAlive(): void;
    changed(ms: number): Promise<void>;
    closed(): boolean;
  },
) {
  let last = JSON.stringify(first);
  stream.send('execution', first);
  let status = first.status;
  while (!FINAL.has(status) && !stream.closed()) {
    await stream.changed(KEEP_ALIVE_MS);
    if (stream.closed()) return;
    let now: Awaited<ReturnType<typeof getExecution>>;
    try {
      now = await getExecution(deps, actor, executionId);
    } catch {
      // Deleted meanwhile, or no longer ours to see.
      stream.send('end', { id: executionId, status: 'gone' });
      return;
    }
    const text = JSON.stringify(now);
    if (text === last) stream.keepAlive();
    else stream.send('execution', now);
    last = text;
    status = now.status;
  }
  if (!stream.closed()) stream.send('end', { id: executionId, status });
}
