/** The services behind the gateway, and the public paths each one owns. */
export type ServiceName = 'identity';

export interface Upstream {
  service: ServiceName;
  /** Paths owned: the exact path and everything below it. */
  prefix: string;
  /** Stricter rate limit, keyed by client address (sign-in and similar). */
  sensitive?: boolean;
}

export const upstreams: Upstream[] = [
  { service: 'identity', prefix: '/v1/auth', sensitive: true },
  { service: 'identity', prefix: '/v1/me' },
  { service: 'identity', prefix: '/.well-known/jwks.json' },
];

/**
 * Routes reachable without an access token, listed one by one: everything else behind the gateway
 * needs one. (Services check the token again themselves.)
 */
export const publicRoutes = new Set([
  'POST /v1/auth/register',
  'POST /v1/auth/login',
  'POST /v1/auth/refresh',
  'POST /v1/auth/password-reset',
  'POST /v1/auth/password-reset/confirm',
  'POST /v1/auth/login-token',
  'POST /v1/auth/login-token/redeem',
  'GET /.well-known/jwks.json',
]);

export const isPublic = (method: string, path: string) =>
  publicRoutes.has(`${method === 'HEAD' ? 'GET' : method} ${path.replace(/\/+$/, '') || '/'}`);
