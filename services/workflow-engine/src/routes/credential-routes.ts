import { requireActor } from '@conduit/auth';
import { problemResponses, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { WorkflowDeps } from '../deps.js';
import { createCredential } from '../domain/credentials/create-credential.js';
import { credentialDto } from '../domain/credentials/credential-dto.js';
import { credentialName, credentialSecret } from '../domain/credentials/credential-secret.js';
import { deleteCredential } from '../domain/credentials/delete-credential.js';
import { listCredentials } from '../domain/credentials/list-credentials.js';

const tags = ['credentials'];
const security = [{ bearer: [] }];

/**
 * Credentials that workflows name by id (an HTTP node's authorization, a webhook's token or HMAC
 * key); their secrets go in and never come out. Under /v1/workflows/credentials.
 */
export function credentialRoutes(app: ServiceApp, deps: WorkflowDeps) {
  app.post(
    '/v1/workflows/credentials',
    {
      schema: {
        tags,
        security,
        summary: "Keep a credential (sealed) for my workflows or my team's",
        body: z
          .object({ name: credentialName, secret: credentialSecret, teamId: z.uuid().optional() })
          .strict(),
        response: { 201: credentialDto, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await createCredential(deps, requireActor(request), request.body)),
  );

  app.get(
    '/v1/workflows/credentials',
    {
      schema: {
        tags,
        security,
        summary: "My credentials and my teams' (never their secrets)",
        response: { 200: z.object({ items: z.array(credentialDto) }), ...problemResponses(401) },
      },
    },
    async (request) => listCredentials(deps, requireActor(request)),
  );

  app.delete(
    '/v1/workflows/credentials/:credentialId',
    {
      schema: {
        tags,
        security,
        summary: 'Delete a credential',
        params: z.object({ credentialId: z.uuid() }),
        response: { 204: z.null(), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await deleteCredential(deps, requireActor(request), request.params.credentialId);
      return reply.code(204).send(null);
    },
  );
}
