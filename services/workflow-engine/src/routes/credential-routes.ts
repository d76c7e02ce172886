import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { WorkflowDeps } from '../deps.js';
import { createCredential } from '../domain/credentials/create-credential.js';
import { credentialDto } from '../domain/credentials/credential-dto.js';
import { credentialName, credentialSecret } from '../domain/credentials/credential-secret.js';
import { deleteCredential } from '../domain/credentials/delete-credential.js';
import { listCredentials } from '../domain/credentials/list-credentials.js';

/**
 * Credentials that workflows name by id (an HTTP node's authorization, a webhook's token or HMAC
 * key); their secrets go in and never come out. Under /v1/workflows/credentials.
 */
export function credentialRoutes(app: ServiceApp, deps: WorkflowDeps) {
  const route = routeGroup(app, { tags: ['credentials'] });
  route.post(
    '/v1/workflows/credentials',
    {
      summary: "Keep a credential (sealed) for my workflows or my team's",
      body: z
        .object({ name: credentialName, secret: credentialSecret, teamId: z.uuid().optional() })
        .strict(),
      status: 201,
      response: credentialDto,
      problems: [400, 401, 403, 404],
    },
    (request) => createCredential(deps, requireActor(request), request.body),
  );

  route.get(
    '/v1/workflows/credentials',
    {
      summary: "My credentials and my teams', by name (never their secrets)",
      querystring: pageQuery,
      response: pageOf(credentialDto),
      problems: [400, 401],
    },
    (request) => listCredentials(deps, requireActor(request), request.query),
  );

  route.delete(
    '/v1/workflows/credentials/:credentialId',
    {
      summary: 'Delete a credential',
      params: z.object({ credentialId: z.uuid() }),
      status: 204,
      problems: [400, 401, 403, 404],
    },
    (request) => deleteCredential(deps, requireActor(request), request.params.credentialId),
  );
}
