export { ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER, createTokenVerifier, type TokenVerifier, type VerifiedToken } from './token-verifier.js';
export { authPlugin, requireActor, bearerToken } from './auth-plugin.js';
export { can, rlsContext, type ResourceRef } from './can.js';
