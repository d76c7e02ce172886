import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';

const WIDGET_FILE = new URL('../static/widget.js', import.meta.url);

/**
 * GET /widget.js: the embeddable chat widget, a static file read once at start. Pages on other
 * sites load it, so it is cached (an ETag, revalidated after five minutes) rather than fetched
 * whole on every page view.
 */
export function registerWidgetScript(fastify: FastifyInstance) {
  const source = readFileSync(WIDGET_FILE);
  const etag = `"${createHash('sha256').update(source).digest('base64url').slice(0, 27)}"`;
  fastify.get('/widget.js', { schema: { hide: true } }, async (request, reply) => {
    reply
      .header('etag', etag)
      .header('cache-control', 'public, max-age=300, must-revalidate')
      .header('content-type', 'text/javascript; charset=utf-8');
    const wanted = request.headers['if-none-match'];
    if (wanted?.split(',').some((tag) => tag.trim() === etag || tag.trim() === `W/${etag}`))
      return reply.code(304).send();
    return reply.send(source);
  });
}
