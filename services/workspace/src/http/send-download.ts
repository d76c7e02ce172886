import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { contentDisposition } from '../domain/media/display-name.js';
import { type Download, etagOf } from '../domain/media/read-media.js';
import { showsInline } from '../domain/media/sniff-content-type.js';

/** The request headers a download reads. */
export const downloadHeaders = z.object({
  range: z.string().max(200).optional(),
  'if-none-match': z.string().max(1000).optional(),
  'if-range': z.string().max(200).optional(),
});

/**
 * Sends a download: its status, length and range, the ETag (content hash), a name the browser
 * cannot misread, and headers that keep a browser from running what it holds (nosniff, a sandbox).
 */
export async function sendDownload(reply: FastifyReply, download: Download, cache: 'private' | 'public') {
  const { file } = download;
  reply
    .header('etag', etagOf(file))
    .header('accept-ranges', 'bytes')
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'none'; sandbox")
    .header('cache-control', cache === 'public' ? 'public, max-age=300' : 'private, no-cache');
  if (download.status === 304) return reply.code(304).send();
  if (download.status === 416) {
    // No error code maps to 416 (it exists only here): the problem document is written as one.
    return reply
      .code(416)
      .header('content-range', `bytes */${file.sizeBytes}`)
      .type('application/problem+json')
      .send({
        type: 'urn:problem:conduit:range_not_satisfiable',
        title: 'Range Not Satisfiable',
        status: 416,
        detail: `The range asks for bytes past the end of the file (${file.sizeBytes} bytes).`,
        code: 'range_not_satisfiable',
        requestId: reply.request.id,
      });
  }
  reply
    .type(file.contentType)
    .header(
      'content-disposition',
      contentDisposition(showsInline(file.contentType) ? 'inline' : 'attachment', file.name),
    );
  if (download.status === 206)
    reply
      .code(206)
      .header('content-range', `bytes ${download.start}-${download.end}/${file.sizeBytes}`)
      .header('content-length', download.end - download.start + 1);
  else reply.code(200).header('content-length', file.sizeBytes);
  // Waits until the body has gone out, so the route answers once (see routeGroup).
  await reply.send(download.body);
  return reply;
}
