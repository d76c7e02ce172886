import { limitProblemSchema } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { WorkflowDeps } from '../deps.js';
import { callWebhook } from '../domain/hooks/call-webhook.js';
import { resumeExecution } from '../domain/hooks/resume-execution.js';

/**
 * Webhooks: public (no token), addressed by workflow id and the webhook node's path. Answers 202
 * with the execution id, or what a respond-to-webhook node answered.
 */
export function hookRoutes(app: ServiceApp, deps: WorkflowDeps) {
  // An HMAC signature is over the body as sent: JSON and text bodies are kept raw beside their
  // parsed form (in this scope only), parsed with fastify's own guarded JSON parser.
  const rawBodies = new WeakMap<object, Buffer>();
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    rawBodies.set(request.raw, body as Buffer);
    if (!(body as Buffer).length) return done(null, undefined);
    parseJson(request, (body as Buffer).toString('utf8'), done);
  });
  app.addContentTypeParser('text/plain', { parseAs: 'buffer' }, (request, body, done) => {
    rawBodies.set(request.raw, body as Buffer);
    done(null, (body as Buffer).toString('utf8'));
  });

  const route = routeGroup(app, { tags: ['webhooks'], security: null });
  // One route per method (routeGroup registers one method at a time), in the order OpenAPI lists them.
  for (const method of ['get', 'post'] as const)
    route[method](
      '/v1/hooks/:workflowId/resume/:executionId/:token',
      {
        summary: 'Continue an execution parked at a webhook wait (its $execution.resumeUrl)',
        params: z.object({
          workflowId: z.uuid(),
          executionId: z.uuid(),
          token: z
            .string()
            .max(100)
            .regex(/^[A-Za-z0-9_-]{16,100}$/),
        }),
        status: 202,
        response: z.object({ executionId: z.uuid() }),
        problems: [400, 404, 409],
      },
      (request) =>
        resumeExecution(deps, {
          ...request.params,
          body: request.body,
          query: request.query as Record<string, unknown>,
        }),
    );

  for (const method of ['get', 'post', 'put', 'patch', 'delete'] as const)
    route[method](
      '/v1/hooks/:workflowId/:path',
      {
        summary: 'Start a workflow from its webhook trigger',
        params: z.object({
          workflowId: z.uuid(),
          path: z
            .string()
            .max(100)
            .regex(/^[a-z0-9][a-z0-9_-]{0,99}$/),
        }),
        status: 202,
        response: z.object({ executionId: z.uuid() }),
        responses: { 402: limitProblemSchema },
        problems: [400, 401, 404, 405, 502],
      },
      async (request, reply) => {
        const answer = await callWebhook(deps, {
          workflowId: request.params.workflowId,
          path: request.params.path,
          method: request.method,
          body: request.body,
          query: request.query as Record<string, unknown>,
          headers: request.headers,
          rawBody: rawBodies.get(request.raw),
        });
        if (answer.kind === 'accepted') return { executionId: answer.executionId };
        const { status, headers, body } = answer.response;
        // A workflow's own answer: any status, headers and body it chose, outside the route's schema.
        reply.code(status).headers({ ...headers, 'x-execution-id': answer.executionId });
        if (typeof body === 'string')
          return reply.type(headers['content-type'] ?? 'text/plain; charset=utf-8').send(body);
        return reply.type('application/json').send(JSON.stringify(body ?? null));
      },
    );
}
