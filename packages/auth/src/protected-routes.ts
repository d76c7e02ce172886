import type { ServiceApp } from '@conduit/service-kit';
import { authPlugin } from './auth-plugin.js';
import { createTokenVerifier, type TokenVerifier } from './token-verifier.js';

/** A service's token verifier: the one given (tests pass a local key set), else identity's JWKS. */
export const identityVerifier = (given: TokenVerifier | undefined, identityUrl: string): TokenVerifier =>
  given ?? createTokenVerifier({ jwksUrl: `${identityUrl}/.well-known/jwks.json` });

/**
 * Fetches the verifier's signing keys as the service starts, so that its first request does not
 * wait for identity's key set (a round trip to identity, 10-30 ms for a process just started).
 * Not awaited: identity may still be starting (`pnpm start` starts every service at once), and
 * then the first request fetches them, as it would have anyway.
 */
export function fetchKeysOnReady(app: ServiceApp, verifier: TokenVerifier): void {
  app.addHook('onReady', async () => {
    verifier.fetchKeys?.().catch(() => {});
  });
}

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
  fetchKeysOnReady(app, verifier);
  await app.register(async (scope) => {
    scope.addHook('onRequest', scope.authenticate);
    register(scope as unknown as ServiceApp);
  });
}
