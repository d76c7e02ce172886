import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery, readableText, storableText } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import { bearerSecurity, problemResponses, routeGroup, type ServiceApp } from '@conduit/service-kit';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { KnowledgeDeps } from '../deps.js';
import { chunkDto, listChunks } from '../domain/documents/document-chunks.js';
import { documentDto } from '../domain/documents/document-dto.js';
import {
  addDocument,
  deleteDocument,
  getDocument,
  listDocuments,
  type NewDocument,
  reindexDocument,
} from '../domain/documents/manage-documents.js';
import { mediaTypeOf, supportedExtensions } from '../domain/extraction/media-types.js';
import { collectionParams, metadata } from './collection-routes.js';

const tags = ['knowledge bases'];
const documentParams = collectionParams.extend({ documentId: z.uuid() });

/** Text is limited in bytes by the handler; `maxChars` (as many) bounds it before it is counted. */
const inlineDocument = (maxChars: number) =>
  z
    .object({
      name: readableText(300),
      text: storableText(maxChars).min(1),
      mediaType: z
        .enum(['text/plain', 'text/markdown', 'text/html', 'text/csv', 'application/json'])
        .default('text/plain'),
      metadata: metadata.optional(),
    })
    .strict();

/** The text fields of a multipart upload, under the same rule as the JSON body's. */
const uploadFields = z.object({
  name: readableText(300).optional(),
  metadata: storableText(64 * 1024)
    .transform((raw, ctx) => {
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object' });
        return z.NEVER;
      }
    })
    .pipe(metadata)
    .optional(),
});

/** Reads the one file (and the optional `name` and `metadata` fields) of a multipart upload. */
async function readUpload(request: FastifyRequest, limitBytes: number): Promise<NewDocument> {
  let file: { fileName: string; mimeType: string; bytes: Buffer } | undefined;
  const fields: Record<string, string> = {};
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        if (file) throw new DomainError('bad_request', 'Upload one file per request.');
        file = { fileName: part.filename, mimeType: part.mimetype, bytes: await part.toBuffer() };
      } else if (typeof part.value === 'string') fields[part.fieldname] = part.value;
    }
  } catch (error) {
    if (error instanceof DomainError) throw error;
    const code = (error as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE')
      throw new DomainError(
        'payload_too_large',
        `Files are limited to ${Math.floor(limitBytes / 1024 / 1024)} MiB.`,
      );
    if (code?.startsWith('FST_') || (error as { statusCode?: number }).statusCode === 413)
      throw new DomainError(
        (error as { statusCode?: number }).statusCode === 413 ? 'payload_too_large' : 'bad_request',
        `The upload is malformed or too large: ${(error as Error).message}`,
      );
    throw new DomainError('bad_request', 'The multipart body is malformed.');
  }
  if (!file) throw new DomainError('bad_request', 'Send the document as a multipart field of type file.');
  const mediaType = mediaTypeOf(file.fileName ?? '', file.mimeType);
  if (!mediaType)
    throw new DomainError(
      'unsupported_media_type',
      `This file type is not supported; send one of ${supportedExtensions}.`,
    );
  const checked = uploadFields.safeParse(fields);
  if (!checked.success) {
    const errors = checked.error.issues.map((issue) => ({
      path: ['body', ...issue.path].join('.'),
      message: issue.message,
    }));
    throw new DomainError(
      'validation_failed',
      `The upload is invalid: ${errors.map((error) => `${error.path} ${error.message}`).join('; ')}`,
      { fields: { errors } },
    );
  }
  // A file's own name is not the caller's text to refuse: what Postgres cannot store is dropped.
  const fileName = file.fileName.replaceAll('\0', '').toWellFormed().trim().slice(0, 300).toWellFormed();
  const name = checked.data.name ?? (fileName || 'upload');
  const parsedMetadata = checked.data.metadata;
  if (file.bytes.length === 0) throw new DomainError('bad_request', 'The file is empty.');
  return { name, mediaType, bytes: file.bytes, metadata: parsedMetadata, source: 'upload' };
}

/** Documents of a collection; registered behind `authenticate`. */
export function documentRoutes(app: ServiceApp, deps: KnowledgeDeps) {
  const route = routeGroup(app, { tags });
  const limit = deps.env.UPLOAD_LIMIT_BYTES;

  app.post(
    '/v1/kb/collections/:collectionId/documents',
    {
      // Inline text may be as large as an upload; multipart is limited per file instead.
      bodyLimit: limit + 64 * 1024,
      schema: {
        tags,
        security: bearerSecurity,
        summary: `Add a document: JSON {name, text, metadata} or a multipart upload (${supportedExtensions}, at most ${Math.floor(limit / 1024 / 1024)} MiB)`,
        description:
          'Answers 201 with the pending document, or 200 with the existing one when the collection already holds the same content. Indexing runs in the background: poll GET for its status.',
        params: collectionParams,
        consumes: ['application/json', 'multipart/form-data'],
        body: inlineDocument(limit).nullish(),
        response: { 200: documentDto, 201: documentDto, ...problemResponses(400, 401, 403, 404, 413, 415) },
      },
    },
    async (request, reply) => {
      const actor = requireActor(request);
      let input: NewDocument;
      if (request.isMultipart()) input = await readUpload(request, limit);
      else {
        if (!request.body)
          throw new DomainError('bad_request', 'Send JSON {name, text} or a multipart file upload.');
        const bytes = Buffer.from(request.body.text, 'utf8');
        if (bytes.length > limit)
          throw new DomainError(
            'payload_too_large',
            `Documents are limited to ${Math.floor(limit / 1024 / 1024)} MiB.`,
          );
        input = {
          name: request.body.name,
          mediaType: request.body.mediaType,
          bytes,
          metadata: request.body.metadata,
          source: 'inline',
        };
      }
      const { document, created } = await addDocument(deps, actor, request.params.collectionId, input);
      return reply.code(created ? 201 : 200).send(document);
    },
  );

  route.get(
    '/v1/kb/collections/:collectionId/documents',
    {
      summary: 'Documents of a knowledge base',
      params: collectionParams,
      querystring: pageQuery.extend({
        status: z.enum(['pending', 'indexing', 'indexed', 'failed']).optional(),
      }),
      response: pageOf(documentDto),
      problems: [400, 401, 404],
    },
    (request) => listDocuments(deps, requireActor(request), request.params.collectionId, request.query),
  );

  route.get(
    '/v1/kb/collections/:collectionId/documents/:documentId',
    {
      summary: 'A document: its indexing status, error, attempts and chunk count',
      params: documentParams,
      response: documentDto,
      problems: [400, 401, 404],
    },
    (request) =>
      getDocument(deps, requireActor(request), request.params.collectionId, request.params.documentId),
  );

  route.get(
    '/v1/kb/collections/:collectionId/documents/:documentId/chunks',
    {
      summary: 'The chunks of a document, in order: content, heading path, offsets and token count',
      params: documentParams,
      querystring: pageQuery,
      response: pageOf(chunkDto),
      problems: [400, 401, 404],
    },
    (request) =>
      listChunks(
        deps,
        requireActor(request),
        request.params.collectionId,
        request.params.documentId,
        request.query,
      ),
  );

  route.delete(
    '/v1/kb/collections/:collectionId/documents/:documentId',
    {
      summary: 'Delete a document and its chunks',
      params: documentParams,
      status: 204,
      problems: [400, 401, 403, 404],
    },
    (request) =>
      deleteDocument(deps, requireActor(request), request.params.collectionId, request.params.documentId),
  );

  route.post(
    '/v1/kb/collections/:collectionId/documents/:documentId/reindex',
    {
      summary: 'Index a document again from its original',
      params: documentParams,
      status: 202,
      response: documentDto,
      problems: [400, 401, 403, 404],
    },
    (request) =>
      reindexDocument(deps, requireActor(request), request.params.collectionId, request.params.documentId),
  );
}
