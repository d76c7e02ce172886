import type { OpenedConnection } from './open-connection.js';

/** The kinds whose connection authorizes an HTTP request (the http-request node's `connectionId`). */
export const httpKinds = new Set(['http-bearer', 'http-basic', 'http-api-key', 'openai-compatible']);

/** The headers a request made with the connection carries (they replace any of the same name). */
export function connectionHeaders(connection: OpenedConnection): Record<string, string> {
  const c = connection.config as Record<string, string>;
  switch (connection.kind) {
    case 'http-bearer':
      return { authorization: `Bearer ${c.token}` };
    case 'openai-compatible':
      return { authorization: `Bearer ${c.apiKey}` };
    case 'http-basic':
      return {
        authorization: `Basic ${Buffer.from(`${c.username}:${c.password ?? ''}`).toString('base64')}`,
      };
    case 'http-api-key':
      return { [String(c.header).toLowerCase()]: String(c.apiKey) };
    default:
      return {};
  }
}

/**
 * Is `url` under the connection's base URL (same origin, path below it)? A connection's secret goes
 * only where its owner said it may: an editor of the workflow cannot point it at their own server.
 */
export function withinBaseUrl(connection: OpenedConnection, url: string): boolean {
  const base = connection.config.baseUrl;
  if (typeof base !== 'string') return true;
  let target: URL;
  let root: URL;
  try {
    target = new URL(url);
    root = new URL(base);
  } catch {
    return false;
  }
  if (target.origin !== root.origin) return false;
  const prefix = root.pathname.endsWith('/') ? root.pathname : `${root.pathname}/`;
  return target.pathname === root.pathname || target.pathname.startsWith(prefix) || root.pathname === '/';
}
