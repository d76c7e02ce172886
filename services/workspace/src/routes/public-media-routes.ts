import { problemResponses, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { WorkspaceDeps } from '../deps.js';
import { downloadPublicMedia } from '../domain/media/read-media.js';
import { downloadHeaders, sendDownload } from '../http/send-download.js';
import { mediaParams } from './media-routes.js';

/** Files their owners made public (an app's logo), for anyone, without an access token. */
export function publicMediaRoutes(app: ServiceApp, deps: WorkspaceDeps) {
  app.get(
    '/v1/public/media/:mediaId',
    {
      schema: {
        tags: ['files'],
        summary: "A public file's content, without an account (ranges as for my own files)",
        params: mediaParams,
        headers: downloadHeaders,
        response: { 200: z.any(), 206: z.any(), 304: z.null(), ...problemResponses(400, 404, 416) },
      },
    },
    async (request, reply) => {
      const { mediaId } = request.params as z.output<typeof mediaParams>;
      const headers = request.headers as z.output<typeof downloadHeaders>;
      const download = await downloadPublicMedia(deps, mediaId, {
        range: headers.range,
        ifNoneMatch: headers['if-none-match'],
        ifRange: headers['if-range'],
      });
      return sendDownload(reply, download, 'public');
    },
  );
}
