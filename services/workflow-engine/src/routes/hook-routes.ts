import { problemResponses, type ServiceApp } from '@conduit/service-kit';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { WorkflowDeps } from '../deps.js';
import { callWebhook } from '../domain/hooks/call-webhook.js';
import { resumeExecution } from '../domain/hooks/resume-execution.js';
import { limitProblem } from './limit-problem.js';

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

  app.route({
    method: ['GET', 'POST'],
    url: '/v1/hooks/:workflowId/resume/:executionId/:token',
    schema: {
      tags: ['webhooks'],
      summary: 'Continue an execution parked at a webhook wait (its $execution.resumeUrl)',
      params: z.object({
        workflowId: z.uuid(),
        executionId: z.uuid(),
        token: z
          .string()
          .max(100)
          .regex(/^[A-Za-z0-9_-]{16,100}$/),
      }),
      response: { 202: z.object({ executionId: z.uuid() }), ...problemResponses(400, 404, 409) },
    },
    handler: async (request, reply) =>
      reply.code(202).send(
        await resumeExecution(deps, {
          ...request.params,
          body: request.body,
          query: request.query as Record<string, unknown>,
        }),
      ),
  });

  app.route({
    method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    url: '/v1/hooks/:workflowId/:path',
    schema: {
      tags: ['webhooks'],
      summary: 'Start a workflow from its webhook trigger',
      params: z.object({
        workflowId: z.uuid(),
        path: z
          .string()
          .max(100)
          .regex(/^[a-z0-9][a-z0-9_-]{0,99}$/),
      }),
      response: {
        202: z.object({ executionId: z.uuid() }),
        402: limitProblem,
        ...problemResponses(400, 401, 404, 405, 502),
      },
    },
    handler: async (request, reply) => {
      const answer = await callWebhook(deps, {
        workflowId: request.params.workflowId,
        path: request.params.path,
        method: request.method,
        body: request.body,
        query: request.query as Record<string, unknown>,
        headers: request.headers,
        rawBody: rawBodies.get(request.raw),
      });
      if (answer.kind === 'accepted') return reply.code(202).send({ executionId: answer.executionId });
      const { status, headers, body } = answer.response;
      // A workflow's own answer: any status, headers and body it chose, outside the route's schema.
      const raw = reply as unknown as FastifyReply;
      raw.code(status).headers({ ...headers, 'x-execution-id': answer.executionId });
      if (typeof body === 'string')
        return raw.type(headers['content-type'] ?? 'text/plain; charset=utf-8').send(body);
      return raw.type('application/json').send(JSON.stringify(body ?? null));
    },
  });
}
