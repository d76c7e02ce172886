import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery, storableText } from '@conduit/contracts';
import { bearerSecurity, problemResponses, routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { WorkspaceDeps } from '../deps.js';
import { downloadBotFile, listBotFilesFor } from '../domain/bot-files/bot-files-api.js';
import { contentDisposition } from '../domain/media/display-name.js';

const tags = ['bot files'];
const botParams = z.object({ botId: z.uuid() });

const botFileResponse = z.object({
  path: z.string(),
  name: z.string(),
  sizeBytes: z.int(),
  contentType: z.string(),
  sha256: z.string(),
  updatedAt: z.iso.datetime(),
});

/**
 * A bot's files, which its scripts write (READ, WRITE, GENERATE PDF, ...): listed and downloaded
 * by the bot's owner, or a team bot's members; 404 for anyone else. Read only: the scripts are
 * what change them.
 */
export function botFileRoutes(app: ServiceApp, deps: WorkspaceDeps) {
  const route = routeGroup(app, { tags });
  route.get(
    '/v1/bots/:botId/files',
    {
      summary: "A bot's files (what its scripts wrote), by path; `folder` lists one folder's",
      params: botParams,
      querystring: pageQuery.extend({ folder: storableText(600).optional() }),
      response: pageOf(botFileResponse),
      problems: [400, 401, 404, 503],
    },
    (request) => {
      const { folder, ...page } = request.query;
      return listBotFilesFor(deps, requireActor(request), request.params.botId, folder, page);
    },
  );

  app.get(
    '/v1/bots/:botId/files/content',
    {
      schema: {
        tags,
        security: bearerSecurity,
        summary: "A bot file's content, as an attachment",
        params: botParams,
        querystring: z.object({ path: storableText(600).min(1) }),
        response: { 200: z.any(), ...problemResponses(400, 401, 404, 503) },
      },
    },
    async (request, reply) => {
      const { botId } = request.params as z.output<typeof botParams>;
      const { path } = request.query as { path: string };
      const { file, body } = await downloadBotFile(deps, requireActor(request), botId, path);
      reply
        .code(200)
        .type(file.contentType)
        .header('content-length', file.sizeBytes)
        .header('etag', `"${file.sha256}"`)
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'; sandbox")
        .header('cache-control', 'private, no-cache')
        .header('content-disposition', contentDisposition('attachment', file.name));
      await reply.send(body);
      return reply;
    },
  );
}
