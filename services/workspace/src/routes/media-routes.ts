import { requireActor } from '@conduit/auth';
import { limitProblemSchema, pageOf, pageQuery, readableText } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import { bearerSecurity, problemResponses, routeGroup, type ServiceApp } from '@conduit/service-kit';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { WorkspaceDeps } from '../deps.js';
import { deleteMedia, getMedia, listMedia, updateMedia } from '../domain/media/manage-media.js';
import { downloadMedia } from '../domain/media/read-media.js';
import { tooLarge, uploadMedia } from '../domain/media/upload-media.js';
import { downloadHeaders, sendDownload } from '../http/send-download.js';

const tags = ['files'];
export const mediaParams = z.object({ mediaId: z.uuid() });

export const mediaResponse = z.object({
  id: z.uuid(),
  name: z.string(),
  contentType: z.string(),
  sizeBytes: z.int(),
  sha256: z.string(),
  public: z.boolean(),
  ownerUserId: z.uuid(),
  teamId: z.uuid().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

/** The text fields sent before the file in an upload. */
const uploadFields = z
  .object({
    teamId: z.uuid().optional(),
    public: z.enum(['true', 'false']).optional(),
  })
  .strict();

function invalidFields(error: z.ZodError): DomainError {
  const errors = error.issues.map((issue) => ({
    path: ['body', ...issue.path].join('.'),
    message: issue.message,
  }));
  return new DomainError(
    'validation_failed',
    `The upload is invalid: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`,
    { fields: { errors } },
  );
}

/** An upload's one file, streamed, with the fields that came before it. */
async function uploadOf(request: FastifyRequest, limitBytes: number) {
  if (!request.isMultipart())
    throw new DomainError('unsupported_media_type', 'Upload the file as multipart/form-data.');
  const announced = Number(request.headers['content-length']);
  if (!Number.isSafeInteger(announced) || announced < 0)
    throw new DomainError(
      'bad_request',
      'Send the upload with a Content-Length (its size is reserved first).',
    );
  let part: Awaited<ReturnType<FastifyRequest['file']>>;
  try {
    part = await request.file({
      limits: { fileSize: limitBytes, files: 1, fields: 5, fieldSize: 1024, parts: 10 },
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge(limitBytes);
    throw new DomainError('bad_request', 'The multipart body is malformed.');
  }
  if (!part) throw new DomainError('bad_request', 'Send the file as a multipart field of type file.');
  const fields: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(part.fields))
    if (field && !Array.isArray(field) && field.type === 'field') fields[name] = field.value;
  const checked = uploadFields.safeParse(fields);
  if (!checked.success) {
    part.file.resume();
    throw invalidFields(checked.error);
  }
  return {
    body: part.file,
    fileName: part.filename,
    announcedBytes: announced,
    teamId: checked.data.teamId,
    public: checked.data.public === 'true',
  };
}

/** Stored files: upload, describe, download (ranges), rename or publish, delete. */
export function mediaRoutes(app: ServiceApp, deps: WorkspaceDeps) {
  const route = routeGroup(app, { tags });
  const limit = deps.env.UPLOAD_LIMIT_BYTES;

  app.post(
    '/v1/media',
    {
      schema: {
        tags,
        security: bearerSecurity,
        summary: `Upload a file (multipart/form-data: the fields teamId and public, then one file of at most ${Math.floor(limit / 1024 / 1024)} MiB)`,
        description:
          "Streamed to storage as it arrives. The content type is what the bytes are (a file named .png that is not a PNG is stored as what it is, application/octet-stream when the bytes do not say), never the client's claim; the name is shown only, without any path. The request's Content-Length is reserved of the plan's storage_mb first (402 when it does not fit), and what the file did not use is given back. An empty file is stored (0 bytes).",
        consumes: ['multipart/form-data'],
        response: {
          201: mediaResponse,
          402: limitProblemSchema,
          ...problemResponses(400, 401, 403, 404, 413, 415, 503),
        },
      },
    },
    async (request, reply) => {
      const actor = requireActor(request);
      const upload = await uploadOf(request, limit);
      return reply.code(201).send(await uploadMedia(deps, actor, upload));
    },
  );

  route.get(
    '/v1/media',
    {
      summary: "My files and my teams'",
      querystring: pageQuery,
      response: pageOf(mediaResponse),
      problems: [400, 401],
    },
    (request) => listMedia(deps, requireActor(request), request.query),
  );
  route.get(
    '/v1/media/:mediaId',
    {
      summary: "A file's description",
      params: mediaParams,
      response: mediaResponse,
      problems: [400, 401, 404],
    },
    (request) => getMedia(deps, requireActor(request), request.params.mediaId),
  );
  route.patch(
    '/v1/media/:mediaId',
    {
      summary:
        'Rename a file, or make it public (readable by anyone at /v1/public/media/:mediaId) or private',
      params: mediaParams,
      body: z.object({ name: readableText(255).optional(), public: z.boolean().optional() }).strict(),
      response: mediaResponse,
      problems: [400, 401, 403, 404],
    },
    (request) => updateMedia(deps, requireActor(request), request.params.mediaId, request.body),
  );
  route.delete(
    '/v1/media/:mediaId',
    {
      summary: 'Delete a file (and take it out of every project); its storage is given back',
      params: mediaParams,
      status: 204,
      problems: [400, 401, 403, 404],
    },
    (request) => deleteMedia(deps, requireActor(request), request.params.mediaId),
  );

  app.get(
    '/v1/media/:mediaId/content',
    {
      schema: {
        tags,
        security: bearerSecurity,
        summary: "A file's content; one byte range with Range: bytes=a-b (206, or 416 past its end)",
        params: mediaParams,
        headers: downloadHeaders,
        response: { 200: z.any(), 206: z.any(), 304: z.null(), ...problemResponses(400, 401, 404, 416) },
      },
    },
    async (request, reply) => {
      const { mediaId } = request.params as z.output<typeof mediaParams>;
      const headers = request.headers as z.output<typeof downloadHeaders>;
      const download = await downloadMedia(deps, requireActor(request), mediaId, {
        range: headers.range,
        ifNoneMatch: headers['if-none-match'],
        ifRange: headers['if-range'],
      });
      return sendDownload(reply, download, 'private');
    },
  );
}
