import { appendEvent } from '@conduit/bus';
import { analyticsEvents } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import type { DeliveryOutcome, DeliveryTargets } from '../../../db/delivery-schema.js';
import { outbox } from '../../../db/schema.js';
import type { AnalyticsDeps } from '../../../deps.js';
import { asViewer } from '../../access/viewer-scope.js';
import type { ChartData } from '../charts/chart-spec.js';
import { openWebhookSecret } from './delivery-targets.js';
import { rowsWithin } from './mail-content.js';
import { teamWorkerActor } from './team-worker-actor.js';
import { sendWebhook } from './webhook-delivery.js';

export type { DeliveryOutcome };

const EVENT_ROWS = 200;
/** Of NATS' 1 MB message: the rest of the event is small (columns, breaches, names). */
const EVENT_ROW_BYTES = 600_000;

/** What a delivery is about, as the mail and workflow events carry it. */
export interface DeliverySubject {
  kind: 'report' | 'alert';
  sourceId: string;
  teamId: string;
  userId: string;
  orgId: string | null;
  name: string;
  explorationId: string;
  tickAt: Date;
  notice: 'fired' | 'reminder' | 'resolved' | 'test' | null;
  result: ChartData;
  breaches: Record<string, unknown>[];
}

/**
 * Sends a delivery to every target that has not taken it yet (`done` from an earlier attempt),
 * recording each outcome through `record` as soon as it is known: the webhook by a signed POST;
 * mail and workflow by their events (analytics.metrics.mail_requested / .delivered), written to
 * the outbox in the transaction that records them, so each is requested exactly once per delivery.
 * Answers the outcomes and the first failure's message (undefined when every target took it). The
 * signing secret is opened here only, for the request, and goes nowhere else.
 */
export async function deliver(
  deps: AnalyticsDeps,
  input: {
    table: 'reports' | 'alerts';
    targets: DeliveryTargets;
    sealedWebhookSecret: string | null;
    deliveryId: string;
    subject: DeliverySubject;
    /** The webhook's JSON body. */
    payload: Record<string, unknown>;
    mail: { subject: string; html: string; text: string; chartPng?: Buffer | undefined };
    done: DeliveryOutcome;
    record: (tx: Transaction, outcome: DeliveryOutcome) => Promise<unknown>;
  },
): Promise<{ outcome: DeliveryOutcome; failure?: string }> {
  const outcome: DeliveryOutcome = { ...input.done };
  const { subject } = input;
  const worker = teamWorkerActor(subject.teamId, subject.userId, subject.orgId);
  const now = () => new Date().toISOString();
  const eventActor = { userId: subject.userId, sessionId: null, orgId: subject.orgId };
  const source = {
    kind: subject.kind,
    sourceId: subject.sourceId,
    teamId: subject.teamId,
    deliveryId: input.deliveryId,
  };
  let failure: string | undefined;

  if (input.targets.webhookUrl && !outcome.webhook?.ok) {
    const attempts = (outcome.webhook?.attempts ?? 0) + 1;
    try {
      if (!input.sealedWebhookSecret) throw new Error('the webhook has no signing secret');
      const secret = openWebhookSecret(
        deps.metrics.box,
        input.table,
        subject.sourceId,
        input.sealedWebhookSecret,
      );
      const { status } = await sendWebhook(deps.env, {
        url: input.targets.webhookUrl,
        secret,
        deliveryId: input.deliveryId,
        payload: input.payload,
      });
      outcome.webhook = { ok: true, status, at: now(), attempts };
    } catch (error) {
      failure = (error as Error).message;
      const status = (error as { status?: number | null }).status ?? null;
      outcome.webhook = { ok: false, status, error: failure, at: now(), attempts };
    }
    await asViewer(deps.db, worker, (tx) => input.record(tx, outcome));
  }

  if (input.targets.emailTo?.length && !outcome.email?.ok) {
    await asViewer(deps.db, worker, async (tx) => {
      await appendEvent(
        tx,
        outbox,
        analyticsEvents.metricsMailRequested,
        {
          ...source,
          userId: subject.userId,
          to: input.targets.emailTo!,
          subject: input.mail.subject,
          html: input.mail.html,
          text: input.mail.text,
          attachments: input.mail.chartPng
            ? [
                {
                  filename: 'chart.png',
                  contentType: 'image/png',
                  contentBase64: input.mail.chartPng.toString('base64'),
                },
              ]
            : [],
        },
        eventActor,
      );
      outcome.email = { ok: true, at: now(), attempts: (outcome.email?.attempts ?? 0) + 1 };
      await input.record(tx, outcome);
    });
  }

  if (input.targets.workflow && !outcome.workflow?.ok) {
    await asViewer(deps.db, worker, async (tx) => {
      await appendEvent(
        tx,
        outbox,
        analyticsEvents.metricsDelivered,
        {
          ...source,
          name: subject.name,
          explorationId: subject.explorationId,
          tickAt: subject.tickAt.toISOString(),
          notice: subject.notice,
          columns: subject.result.columns.map(({ name, title, type }) => ({ name, title, type })),
          rows: rowsWithin(subject.result, EVENT_ROWS, EVENT_ROW_BYTES, (d) => JSON.stringify(d.rows)).rows,
          rowCount: subject.result.rows.length,
          breaches: subject.breaches,
        },
        eventActor,
      );
      outcome.workflow = { ok: true, at: now(), attempts: (outcome.workflow?.attempts ?? 0) + 1 };
      await input.record(tx, outcome);
    });
  }
  return failure === undefined ? { outcome } : { outcome, failure };
}
