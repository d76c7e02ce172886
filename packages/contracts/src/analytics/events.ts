import { z } from 'zod';
import { defineEvent } from '../event.js';

/** What delivers: a scheduled report or an alert of the metrics layer. */
const deliverySource = {
  kind: z.enum(['report', 'alert']),
  /** The report's or alert's id. */
  sourceId: z.uuid(),
  teamId: z.uuid(),
  /** One run of a report or evaluation of an alert: the same id on every retry of it. */
  deliveryId: z.uuid(),
};

/**
 * A report's or alert's delivery by mail: the email service sends it through MAIL_URL from
 * MAIL_FROM, as the report's or alert's creator, once per deliveryId. The body is the result as
 * an HTML table (and its text); never a secret.
 */
export const metricsMailRequested = defineEvent(
  'analytics.metrics.mail_requested',
  1,
  z.object({
    ...deliverySource,
    userId: z.uuid(),
    to: z.array(z.email()).min(1).max(20),
    subject: z.string().max(998),
    html: z.string().max(500_000),
    text: z.string().max(500_000),
    /** The chart as PNG, for a report in the chart format and for an alert. */
    attachments: z
      .array(
        z.object({
          filename: z.string().max(255),
          contentType: z.literal('image/png'),
          contentBase64: z.string().max(700_000),
        }),
      )
      .max(1)
      .default([]),
  }),
);

/**
 * A report ran or an alert changed state (fired, reminded, resolved, or a test): what a workflow's
 * event trigger starts from. `rows` are the result's first rows (up to 200), keyed by column name.
 */
export const metricsDelivered = defineEvent(
  'analytics.metrics.delivered',
  1,
  z.object({
    ...deliverySource,
    name: z.string().max(200),
    explorationId: z.uuid(),
    tickAt: z.iso.datetime(),
    /** For an alert: what the evaluation delivers; null for a report. */
    notice: z.enum(['fired', 'reminder', 'resolved', 'test']).nullable(),
    columns: z.array(z.object({ name: z.string(), title: z.string(), type: z.string() })).max(200),
    rows: z.array(z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))).max(200),
    rowCount: z.int().min(0),
    breaches: z.array(z.record(z.string(), z.unknown())).max(50),
  }),
);
