import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery, readableText, storableText } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { MailDeps } from '../deps.js';
import { attachmentContent } from '../domain/messages/attachment-content.js';
import { deleteMessage, moveMessage, setMessageFlags } from '../domain/messages/change-messages.js';
import { messageDto, messageSummaryDto } from '../domain/messages/message-dto.js';
import { getMessage, getThread, listMessages, searchMessages } from '../domain/messages/read-messages.js';

const messageParams = z.object({ messageId: z.uuid() });
const queryFlag = z.enum(['true', 'false']).transform((value) => value === 'true');
const filters = {
  unread: queryFlag.optional(),
  flagged: queryFlag.optional(),
  from: storableText(320).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
};

/** Reading and changing synced mail; changes go to the IMAP server first. Behind `authenticate`. */
export function messageRoutes(app: ServiceApp, deps: MailDeps) {
  const route = routeGroup(app, { tags: ['mail'] });

  route.get(
    '/v1/mail/folders/:folderId/messages',
    {
      summary: 'Messages of a folder, newest first (filters: unread, flagged, from, since)',
      params: z.object({ folderId: z.uuid() }),
      querystring: pageQuery.extend(filters),
      response: pageOf(messageSummaryDto),
      problems: [400, 401, 404],
    },
    (request) => listMessages(deps, requireActor(request), request.params.folderId, request.query),
  );

  route.get(
    '/v1/mail/search',
    {
      summary: 'Search my mail: subject, addresses and bodies (one account, or all I can read)',
      querystring: pageQuery.extend({ q: readableText(500), accountId: z.uuid().optional(), ...filters }),
      // indexing: some of that mail awaits the indexing pass, found by subject and addresses only.
      response: pageOf(messageSummaryDto).extend({ indexing: z.boolean() }),
      problems: [400, 401, 404],
    },
    (request) => searchMessages(deps, requireActor(request), request.query),
  );

  route.get(
    '/v1/mail/messages/:messageId',
    {
      summary: 'A message with its bodies (HTML also sanitized) and attachment list',
      params: messageParams,
      response: messageDto,
      problems: [400, 401, 404],
    },
    (request) => getMessage(deps, requireActor(request), request.params.messageId),
  );

  route.get(
    '/v1/mail/messages/:messageId/thread',
    {
      summary: 'The messages of its thread, oldest first',
      params: messageParams,
      querystring: pageQuery,
      response: pageOf(messageSummaryDto),
      problems: [400, 401, 404],
    },
    (request) => getThread(deps, requireActor(request), request.params.messageId, request.query),
  );

  route.get(
    '/v1/mail/messages/:messageId/attachments/:part',
    {
      summary: "An attachment's content, streamed from the mail server",
      params: messageParams.extend({
        part: z
          .string()
          .max(100)
          .regex(/^\d+(\.\d+){0,20}$/, 'a MIME part number such as 2 or 1.2'),
      }),
      problems: [400, 401, 404, 409, 502],
      responses: { 200: z.any() },
    },
    async (request, reply) => {
      const file = await attachmentContent(
        deps,
        requireActor(request),
        request.params.messageId,
        request.params.part,
      );
      return reply
        .type(file.contentType)
        .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(file.filename)}`)
        .header('x-content-type-options', 'nosniff')
        .send(file.content);
    },
  );

  route.patch(
    '/v1/mail/messages/:messageId',
    {
      summary: 'Mark a message read or unread, flagged or not (on the server first)',
      params: messageParams,
      body: z
        .object({ seen: z.boolean().optional(), flagged: z.boolean().optional() })
        .strict()
        .refine((body) => body.seen !== undefined || body.flagged !== undefined, 'give seen or flagged'),
      response: messageSummaryDto,
      problems: [400, 401, 403, 404, 409, 502],
    },
    (request) => setMessageFlags(deps, requireActor(request), request.params.messageId, request.body),
  );

  route.post(
    '/v1/mail/messages/:messageId/move',
    {
      summary: 'Move a message to another folder of its account (on the server first)',
      params: messageParams,
      body: z.object({ folderId: z.uuid() }).strict(),
      response: messageSummaryDto,
      problems: [400, 401, 403, 404, 409, 502],
    },
    (request) => moveMessage(deps, requireActor(request), request.params.messageId, request.body.folderId),
  );

  route.delete(
    '/v1/mail/messages/:messageId',
    {
      summary: 'Delete a message: to the Trash, or expunged when it is there already',
      params: messageParams,
      status: 204,
      problems: [400, 401, 403, 404, 409, 502],
    },
    (request) => deleteMessage(deps, requireActor(request), request.params.messageId),
  );
}
