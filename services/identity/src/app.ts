import { createTokenVerifier, registerProtectedRoutes } from '@conduit/auth';
import { buildService, type ReadinessChecks, type ServiceApp } from '@conduit/service-kit';
import { importJWK } from 'jose';
import type { IdentityDeps } from './deps.js';
import { trustedKeys } from './domain/tokens/signing-keys.js';
import { activityRoutes } from './routes/activity-routes.js';
import { authRoutes } from './routes/auth-routes.js';
import { creditRoutes } from './routes/credit-routes.js';
import { jwksRoutes } from './routes/jwks-routes.js';
import { meRoutes } from './routes/me-routes.js';
import { organizationRoutes } from './routes/organization-routes.js';
import { profileRoutes } from './routes/profile-routes.js';
import { rbacRoutes } from './routes/rbac-routes.js';
import { sessionRoutes } from './routes/session-routes.js';
import { adminSettingsRoutes, publicSettingsRoutes } from './routes/settings-routes.js';
import { subscriptionRoutes } from './routes/subscription-routes.js';
import { teamRoutes } from './routes/team-routes.js';

/** Identity's HTTP surface; nothing listens here (server.ts does, tests inject). */
export async function buildApp(deps: IdentityDeps, readiness: ReadinessChecks = {}): Promise<ServiceApp> {
  const app = await buildService({
    name: 'identity',
    description: 'Accounts, sign-in, sessions and access tokens',
    logger: deps.log,
    readiness,
    trustProxy: deps.env.TRUST_PROXY,
  });
  const keys = trustedKeys(deps.db, deps.keys.jwks);
  // Importing a key costs more than verifying with it: keep each imported key by its id.
  const imported = new Map<string, ReturnType<typeof importJWK>>();
  const verifier = createTokenVerifier({
    keys: async (header) => {
      const jwk = await keys.keyFor(header.kid);
      if (!jwk?.kid) throw new TypeError('unknown signing key');
      if (!imported.has(jwk.kid)) imported.set(jwk.kid, importJWK(jwk, 'EdDSA'));
      return imported.get(jwk.kid)!;
    },
  });
  await registerProtectedRoutes(app, verifier, (routes) => {
    sessionRoutes(routes, deps);
    meRoutes(routes, deps);
    organizationRoutes(routes, deps);
    teamRoutes(routes, deps);
    subscriptionRoutes(routes, deps);
    rbacRoutes(routes, deps);
    activityRoutes(routes, deps);
    profileRoutes(routes, deps);
    creditRoutes(routes, deps);
    adminSettingsRoutes(routes, deps);
  });
  // Public (sign-in, JWKS, the public settings), with `authenticate` on the few that need a token (logout).
  jwksRoutes(app, () => keys.jwks());
  authRoutes(app, deps);
  publicSettingsRoutes(app, deps);
  return app;
}
