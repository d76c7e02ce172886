import type { Transaction } from '@conduit/db';
import type { Logger } from '@conduit/service-kit';
import { and, eq, isNotNull } from 'drizzle-orm';
import { emailTemplates } from '../../db/schema.js';
import type { MailDeps } from '../../deps.js';
import { renderTemplate } from '../template-rendering/render-template.js';
import { actAsOwner, type Owner } from './act-as-owner.js';
import { queueSendAfterCommit } from './queue-after-commit.js';
import { writeOutbound } from './queue-outbound.js';
import { systemSender } from './system-sender.js';

/**
 * The owner of the platform's own mail (identity's resets, sign-in links, invites): a user id no
 * account has, so no user reads these rows through the API (only the platform admin may, and the
 * API never answers a message's content); what the mail carries is for its recipient alone.
 */
export const PLATFORM_MAIL_OWNER: Owner = {
  userId: '00000000-0000-0000-0000-000000000000',
  orgId: null,
  teamId: null,
};

export interface SystemMailRequest {
  /** The system template's key (`email_templates.key`). */
  templateKey: string;
  to: string;
  variables: Record<string, string>;
  /** `<producer>:<event id>`: a second request with it sends nothing. */
  idempotencyKey: string;
}

/**
 * Renders a system template (as operators last changed it) with the request's variables and queues
 * it through MAIL_URL from MAIL_FROM, in the transaction that records the request as processed.
 * A template that is gone (a platform admin deleted it) sends nothing and says so in the log: a
 * redelivery would not bring it back.
 */
export async function queueSystemTemplateMail(
  deps: Pick<MailDeps, 'jobs' | 'env'> & { log: Logger },
  tx: Transaction,
  request: SystemMailRequest,
) {
  await actAsOwner(tx, PLATFORM_MAIL_OWNER);
  const [template] = await tx
    .select()
    .from(emailTemplates)
    .where(and(isNotNull(emailTemplates.key), eq(emailTemplates.key, request.templateKey)));
  if (!template) {
    deps.log.error(
      { template: request.templateKey },
      'no system template of this name: the mail is not sent',
    );
    return;
  }
  const rendered = renderTemplate(template, request.variables);
  const { row, created } = await writeOutbound(tx, {
    owner: PLATFORM_MAIL_OWNER,
    accountId: null,
    source: 'system',
    templateId: template.id,
    from: systemSender(deps.env.MAIL_FROM),
    to: [request.to],
    cc: [],
    bcc: [],
    subject: rendered.subject,
    text: rendered.text ?? '',
    html: rendered.html,
    idempotencyKey: request.idempotencyKey,
  });
  if (created) await queueSendAfterCommit(deps, row.id);
}
