import type { Actor } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { TokenVerifier, VerifiedToken } from './token-verifier.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `authenticate` on protected routes. */
    auth: VerifiedToken | null;
  }
  interface FastifyInstance {
    /** onRequest hook for protected routes: 401 unless a valid access token is presented. */
    authenticate(request: FastifyRequest): Promise<void>;
  }
}

/** The token of an `Authorization: Bearer <token>` header, if that is what the header holds. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer ([\w.~+/-]+=*)$/i.exec(header.trim()) : null;
  return match?.[1];
}

/**
 * Decorates the app with `authenticate`. Services register it as an onRequest hook of their
 * protected route groups; they verify the token themselves and never trust a forwarded header.
 */
export const authPlugin = fp(
  async (app: FastifyInstance, options: { verifier: TokenVerifier }) => {
    app.decorateRequest('auth', null);
    app.decorate('authenticate', async (request: FastifyRequest) => {
      const token = bearerToken(request);
      if (!token)
        throw new DomainError('unauthorized', 'Send an access token as "Authorization: Bearer <token>".');
      const verified = await options.verifier.verify(token);
      if (!verified)
        throw new DomainError(
          'unauthorized',
          'The access token is invalid or has expired; refresh it and retry.',
        );
      request.auth = verified;
    });
  },
  { name: 'conduit-auth' },
);

/** The actor of an authenticated request; throws 401 when the route forgot to authenticate. */
export function requireActor(request: FastifyRequest): Actor {
  if (!request.auth) throw new DomainError('unauthorized', 'This endpoint needs an access token.');
  return request.auth.actor;
}

/**
 * preValidation hook of every platform-admin route (`/v1/admin/...`): anyone else is refused with
 * 403 before their input is validated, so that every admin route answers a non-admin the same way.
 * (The routes are no secret: the OpenAPI document lists them.) The domain checks the claim again
 * against the database.
 */
export async function platformAdminOnly(request: FastifyRequest) {
  if (!requireActor(request).platformAdmin)
    throw new DomainError('forbidden', 'Only platform admins may use this route.');
}
