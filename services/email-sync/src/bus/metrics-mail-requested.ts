import { analyticsEvents } from '@conduit/contracts';
import { consumeEvent } from '@conduit/runtime';
import type { MailDeps } from '../deps.js';
import { queueMetricsMail } from '../domain/sending/metrics-mail.js';

/** Analytics' report and alert mails (analytics.metrics.mail_requested); see queueMetricsMail. */
export const metricsMailConsumer = consumeEvent<MailDeps, typeof analyticsEvents.metricsMailRequested>({
  event: analyticsEvents.metricsMailRequested,
  name: 'metrics-mail-requested',
  apply: (deps, tx, envelope) =>
    queueMetricsMail(deps, tx, {
      owner: {
        userId: envelope.data.userId,
        orgId: envelope.actor?.orgId ?? null,
        teamId: envelope.data.teamId,
      },
      to: envelope.data.to,
      subject: envelope.data.subject,
      html: envelope.data.html,
      text: envelope.data.text,
      attachments: envelope.data.attachments,
      idempotencyKey: `analytics:${envelope.data.deliveryId}`,
    }),
});
