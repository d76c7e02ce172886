export { authPlugin, bearerToken, platformAdminOnly, requireActor } from './auth-plugin.js';
export { asActor, can, type ResourceRef, readAsActor, rlsContext } from './can.js';
export { fetchKeysOnReady, identityVerifier, registerProtectedRoutes } from './protected-routes.js';
export {
  ACCESS_TOKEN_AUDIENCE,
  ACCESS_TOKEN_ISSUER,
  createTokenVerifier,
  type TokenVerifier,
  type VerifiedToken,
} from './token-verifier.js';
