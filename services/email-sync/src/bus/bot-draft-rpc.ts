import { type Bus, type RpcServer, serveRpc } from '@conduit/bus';
import { emailRpc } from '@conduit/contracts';
import type { MailDeps } from '../deps.js';
import { createBotDraft } from '../domain/drafts/bot-draft.js';

/** Serves `rpc.email.bot_drafts.create` in the `email-sync` queue group: a bot script's CREATE DRAFT. */
export function serveBotDraftRpc(bus: Bus, deps: MailDeps): RpcServer {
  return serveRpc(
    bus,
    emailRpc.createBotDraft,
    'email-sync',
    (request) => createBotDraft(deps.db, request),
    (error) => deps.log.error({ err: error }, `${emailRpc.createBotDraft.subject} failed`),
  );
}
