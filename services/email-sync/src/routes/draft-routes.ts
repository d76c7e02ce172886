import { requireActor } from '@conduit/auth';
import { limitProblemSchema, pageOf, pageQuery } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { MailDeps } from '../deps.js';
import { draftDto } from '../domain/drafts/draft-dto.js';
import {
  createDraftInput,
  draftListQuery,
  sendDraftInput,
  updateDraftInput,
} from '../domain/drafts/draft-input.js';
import {
  createDraft,
  deleteDraft,
  getDraft,
  listDrafts,
  sendDraft,
  updateDraft,
} from '../domain/drafts/drafts.js';
import { outboundDto } from '../domain/sending/outbound-dto.js';

const draftParams = z.object({ draftId: z.uuid() });

/** Drafts: write, change, list, delete and send. Registered behind `authenticate`. */
export function draftRoutes(app: ServiceApp, deps: MailDeps) {
  const route = routeGroup(app, { tags: ['mail drafts'] });

  route.post(
    '/v1/mail/drafts',
    {
      summary: 'Start a draft on one of my mail accounts (or my team’s)',
      body: createDraftInput,
      status: 201,
      response: draftDto,
      problems: [400, 401, 403, 404],
    },
    (request) => createDraft(deps, requireActor(request), request.body),
  );

  route.get(
    '/v1/mail/drafts',
    {
      summary: 'My drafts and my teams’, newest first',
      querystring: pageQuery.extend(draftListQuery.shape),
      response: pageOf(draftDto),
      problems: [400, 401],
    },
    (request) => listDrafts(deps, requireActor(request), request.query),
  );

  route.get(
    '/v1/mail/drafts/:draftId',
    { summary: 'A draft', params: draftParams, response: draftDto, problems: [400, 401, 404] },
    (request) => getDraft(deps, requireActor(request), request.params.draftId),
  );

  route.patch(
    '/v1/mail/drafts/:draftId',
    {
      summary: 'Change a draft',
      params: draftParams,
      body: updateDraftInput,
      response: draftDto,
      problems: [400, 401, 403, 404],
    },
    (request) => updateDraft(deps, requireActor(request), request.params.draftId, request.body),
  );

  route.delete(
    '/v1/mail/drafts/:draftId',
    { summary: 'Delete a draft', params: draftParams, status: 204, problems: [400, 401, 403, 404] },
    (request) => deleteDraft(deps, requireActor(request), request.params.draftId),
  );

  route.post(
    '/v1/mail/drafts/:draftId/send',
    {
      summary: 'Send a draft now or at `sendAt` (the draft becomes an outbound message)',
      params: draftParams,
      body: sendDraftInput,
      status: 202,
      response: outboundDto,
      problems: [400, 401, 403, 404, 422, 503],
      responses: { 402: limitProblemSchema },
    },
    (request) => sendDraft(deps, requireActor(request), request.params.draftId, request.body),
  );
}
