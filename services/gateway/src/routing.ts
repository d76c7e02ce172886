/** The services behind the gateway, and the public paths each one owns. */

/** The methods the gateway passes on to the services (and what CORS preflights may ask for). */
export const PROXIED_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** The public widget API of apps embedded on websites (conversation). */
export const WIDGET_API_PREFIX = '/v1/public/apps/';
export type ServiceName =
  | 'identity'
  | 'knowledge-base'
  | 'conversation'
  | 'workflow-engine'
  | 'email-sync'
  | 'analytics'
  | 'workspace';

export interface Upstream {
  service: ServiceName;
  /** Paths owned: the exact path and everything below it. */
  prefix: string;
  /** Largest request body these paths accept, when not the gateway's BODY_LIMIT (uploads). */
  bodyLimit?: number;
}

/** Document uploads: 25 MiB of file plus room for the multipart framing around it. */
const KB_UPLOAD_BODY_LIMIT = 25 * 1024 * 1024 + 256 * 1024;

/** A whole workflow graph (up to 500 nodes with their configuration) or a webhook's payload. */
const WORKFLOW_BODY_LIMIT = 4 * 1024 * 1024;

/** A draft with its attachments (10 MiB of them, base64) or a message to send. */
const MAIL_BODY_LIMIT = 12 * 1024 * 1024;

/** File uploads: the workspace's UPLOAD_LIMIT_BYTES default (100 MiB) plus the multipart framing. */
const MEDIA_UPLOAD_BODY_LIMIT = 100 * 1024 * 1024 + 256 * 1024;

/** An encrypted chat (4 MiB of ciphertext) in base64 within JSON. */
const WORKSPACE_BODY_LIMIT = 6 * 1024 * 1024;

export const upstreams: Upstream[] = [
  { service: 'identity', prefix: '/v1/auth' },
  { service: 'identity', prefix: '/v1/me' },
  { service: 'identity', prefix: '/v1/organizations' },
  { service: 'identity', prefix: '/v1/invites' },
  { service: 'identity', prefix: '/v1/teams' },
  { service: 'identity', prefix: '/v1/roles' },
  { service: 'identity', prefix: '/v1/permissions' },
  { service: 'identity', prefix: '/v1/users' },
  { service: 'identity', prefix: '/v1/plans' },
  { service: 'identity', prefix: '/v1/admin' },
  { service: 'identity', prefix: '/v1/settings' },
  // Every service's job queues, gathered by the workflow engine (docs/admin-jobs.md says why there).
  { service: 'workflow-engine', prefix: '/v1/admin/jobs' },
  { service: 'identity', prefix: '/.well-known/jwks.json' },
  { service: 'knowledge-base', prefix: '/v1/kb', bodyLimit: KB_UPLOAD_BODY_LIMIT },
  { service: 'conversation', prefix: '/v1/bots' },
  { service: 'conversation', prefix: '/v1/sessions' },
  { service: 'conversation', prefix: '/v1/messages' },
  { service: 'conversation', prefix: '/v1/memories' },
  { service: 'conversation', prefix: '/v1/providers' },
  { service: 'conversation', prefix: '/v1/models' },
  { service: 'conversation', prefix: '/v1/prompts' },
  { service: 'conversation', prefix: '/v1/apps' },
  // The widget API of apps on websites: visitors, not accounts (see answersOwnCors).
  { service: 'conversation', prefix: '/v1/public/apps' },
  // Bots' webhooks (a script's WEBHOOK "name"): called by other systems, no token.
  { service: 'conversation', prefix: '/v1/public/bots' },
  { service: 'workflow-engine', prefix: '/v1/workflows', bodyLimit: WORKFLOW_BODY_LIMIT },
  { service: 'workflow-engine', prefix: '/v1/executions' },
  { service: 'workflow-engine', prefix: '/v1/hooks', bodyLimit: WORKFLOW_BODY_LIMIT },
  { service: 'workflow-engine', prefix: '/v1/integrations' },
  // A bot's automations are the workflow engine's, under conversation's /v1/bots (the router
  // prefers the parametric route to the /v1/bots/* wildcard).
  { service: 'workflow-engine', prefix: '/v1/bots/:botId/automations' },
  // A bot's files (what its scripts wrote) are the workspace's, as its automations are the engine's.
  { service: 'workspace', prefix: '/v1/bots/:botId/files' },
  { service: 'email-sync', prefix: '/v1/mail', bodyLimit: MAIL_BODY_LIMIT },
  { service: 'analytics', prefix: '/v1/analytics' },
  // The metrics layer (data sources, schemas, explorations, charts, reports, alerts).
  { service: 'analytics', prefix: '/v1/metrics' },
  // Preferences, encrypted chats, projects, files and their delta sync.
  { service: 'workspace', prefix: '/v1/workspace', bodyLimit: WORKSPACE_BODY_LIMIT },
  { service: 'workspace', prefix: '/v1/media', bodyLimit: MEDIA_UPLOAD_BODY_LIMIT },
  { service: 'workspace', prefix: '/v1/public/media' },
  { service: 'workspace', prefix: '/v1/sync' },
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
  'GET /v1/settings/public',
]);

/**
 * Webhooks (`/v1/hooks/:workflowId/:path`, bots' `/v1/public/bots/:botId/webhooks/:name`) are
 * called by other systems, and public files
 * (`/v1/public/media/:mediaId`, an app's logo) fetched by anyone, with no access token; the
 * widget API of apps (`/v1/public/apps/:publicKey/...`) takes visitor tokens, which conversation
 * issues and checks.
 */
const publicPrefixes = ['/v1/hooks/', '/v1/public/media/', WIDGET_API_PREFIX, '/v1/public/bots/'];

/** A request URL's path: the URL itself when it has no query, as most have (no copy made then). */
export function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

export const isPublic = (method: string, path: string) =>
  publicRoutes.has(
    `${method === 'HEAD' ? 'GET' : method} ${path.endsWith('/') ? path.replace(/\/+$/, '') || '/' : path}`,
  ) ||
  (publicPrefixes.some((prefix) => path.startsWith(prefix)) && !path.includes('/..'));

/**
 * The widget API answers CORS itself: only conversation knows an app's allowed origins (its
 * restricted URLs and verified domains), so the gateway adds no CORS headers of its own to these
 * paths and passes their preflights through. Everything else keeps the gateway's CORS_ORIGINS.
 */
export const answersOwnCors = (path: string) => path.startsWith(WIDGET_API_PREFIX) && !path.includes('/..');

/** Answers that carry access or refresh tokens (sign-in, refresh): never kept by any cache. */
export const carriesTokens = (path: string) => path === '/v1/auth' || path.startsWith('/v1/auth/');
