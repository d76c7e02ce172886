import { requireActor } from '@conduit/auth';
import { limitProblemSchema, pageOf, pageQuery } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { MailDeps } from '../deps.js';
import { sendMessageInput } from '../domain/sending/message-input.js';
import { outboundDto } from '../domain/sending/outbound-dto.js';
import { cancelOutbound, getOutbound, listOutbound } from '../domain/sending/read-outbound.js';
import { sendMessage } from '../domain/sending/send-message.js';

const outboundParams = z.object({ outboundId: z.uuid() });

/** Sending a message directly, and following outbound mail. Registered behind `authenticate`. */
export function sendingRoutes(app: ServiceApp, deps: MailDeps) {
  const route = routeGroup(app, { tags: ['mail sending'] });

  route.post(
    '/v1/mail/send',
    {
      summary: 'Send a message (or a reply) from one of my mail accounts, now or at `sendAt`',
      body: sendMessageInput,
      status: 202,
      response: outboundDto,
      problems: [400, 401, 403, 404, 503],
      responses: { 402: limitProblemSchema },
    },
    (request) => sendMessage(deps, requireActor(request), request.body),
  );

  route.get(
    '/v1/mail/outbound',
    {
      summary: 'My outbound mail and my teams’, newest first, with where each stands',
      querystring: pageQuery.extend({ accountId: z.uuid().optional() }),
      response: pageOf(outboundDto),
      problems: [400, 401],
    },
    (request) => listOutbound(deps, requireActor(request), request.query),
  );

  route.get(
    '/v1/mail/outbound/:outboundId',
    {
      summary: 'An outbound message: queued, sending, sent, failed or canceled',
      params: outboundParams,
      response: outboundDto,
      problems: [400, 401, 404],
    },
    (request) => getOutbound(deps, requireActor(request), request.params.outboundId),
  );

  route.post(
    '/v1/mail/outbound/:outboundId/cancel',
    {
      summary: 'Cancel a message that has not gone yet (a scheduled one)',
      params: outboundParams,
      response: outboundDto,
      problems: [400, 401, 403, 404, 409],
    },
    (request) => cancelOutbound(deps, requireActor(request), request.params.outboundId),
  );
}
