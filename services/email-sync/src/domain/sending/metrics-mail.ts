import type { Transaction } from '@conduit/db';
import type { MailDeps } from '../../deps.js';
import { actAsOwner, type Owner } from './act-as-owner.js';
import type { AttachmentInput } from './message-input.js';
import { queueSendAfterCommit } from './queue-after-commit.js';
import { writePaidOutbound } from './queue-outbound.js';
import { releasingOnFailure } from './sending-usage.js';
import { systemSender } from './system-sender.js';

export interface MetricsMailRequest {
  /** The report's or alert's creator and team: the outbound row is theirs. */
  owner: Owner;
  to: string[];
  subject: string;
  html: string;
  text: string;
  /** The chart (PNG), when the report or alert has one. */
  attachments: AttachmentInput[];
  /** `analytics:<deliveryId>`: every retry of one delivery names the same mail. */
  idempotencyKey: string;
}

/**
 * A metrics report or alert delivered by mail (analytics.metrics.mail_requested): sent through the
 * platform's MAIL_URL from MAIL_FROM, as the report's creator in its team, in the transaction that
 * records the event as processed. Keyed by the delivery, not the event, so the same delivery asked
 * twice (a retried run) sends one mail. Recorded with source `analytics`. Paid, as a bot's mail
 * is, from the report's team, else its creator (a refusal is a failed outbound row).
 */
export async function queueMetricsMail(deps: MailDeps, tx: Transaction, request: MetricsMailRequest) {
  await actAsOwner(tx, request.owner);
  await releasingOnFailure(deps, async (charges) => {
    const { row, created } = await writePaidOutbound(
      deps,
      tx,
      {
        owner: request.owner,
        accountId: null,
        // Its own source, so the outbound row and email.message.sent say the mail was analytics'.
        source: 'analytics',
        from: systemSender(deps.env.MAIL_FROM),
        to: request.to,
        cc: [],
        bcc: [],
        subject: request.subject,
        text: request.text,
        html: request.html,
        attachments: request.attachments,
        idempotencyKey: request.idempotencyKey,
      },
      { charges, refusal: 'record' },
    );
    if (created) await queueSendAfterCommit(deps, row.id);
  });
}
