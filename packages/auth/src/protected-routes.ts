import type { ServiceApp } from '@conduit/service-kit';
import { authPlugin } from './auth-plugin.js';
import { createTokenVerifier, type TokenVerifier } from './token-verifier.js';

/** A service's token verifier: the one given (tests pass a local key set), else identity's JWKS. */
export const identityVerifier = (given: TokenVerifier | undefined, identityUrl: string): TokenVerifier =>
  given ?? createTokenVerifier({ jwksUrl: `${identityUrl}/.well-known/jwks.json` });

/**
 * Registers the routes that need an access token: the auth plugin with `verifier`, and one scope
 * in which `authenticate` runs before every route `register` adds.
 */
export async function registerProtectedRoutes(
  app: ServiceApp,
  verifier: TokenVerifier,
  register: (routes: ServiceApp) => void,
): Promise<void> {
  await app.register(authPlugin, { verifier });
  await app.register(async (scope) => {
    scope.addHook('onRequest', scope.authenticate);
    register(scope as unknown as ServiceApp);
  });
}
