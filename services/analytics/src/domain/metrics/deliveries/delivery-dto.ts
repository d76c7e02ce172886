import { readableText, storableText } from '@conduit/contracts';
import { z } from 'zod';
import { reportFormats } from '../../../db/delivery-schema.js';
import { deliveryTargetsInput } from './delivery-targets.js';

// What reports and alerts share at the edge: how they are named, scheduled and delivered, and
// the fields of their answers.
export const workName = readableText(200);
export const schedule = storableText(200).describe('cron: 5 fields, or 6 with seconds first');
export const timeZone = storableText(64).describe('IANA time zone, e.g. "Europe/Paris"');
export const delivery = deliveryTargetsInput;
export const reportFormat = z.enum(reportFormats);

export const deliveryDto = z.object({
  webhookUrl: z.string().nullable(),
  emailTo: z.array(z.string()),
  workflow: z.boolean(),
});

/** The answer fields reports and alerts share (deliveryWorkDto in code). */
export const deliveryWorkDto = z.object({
  id: z.uuid(),
  teamId: z.uuid(),
  explorationId: z.uuid(),
  name: z.string(),
  schedule: z.string(),
  timeZone: z.string(),
  delivery: deliveryDto,
  hasWebhookSecret: z.boolean(),
  enabled: z.boolean(),
  /** Why the worker paused it (its creator no longer manages the team); resuming clears it. */
  pausedReason: z.string().nullable(),
  createdBy: z.uuid(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** Each target's outcome of a run (webhook: its HTTP status, or why it failed). */
export const deliveryOutcomeDto = z.record(
  z.string(),
  z.object({
    ok: z.boolean(),
    status: z.number().int().nullable().optional(),
    error: z.string().optional(),
    at: z.string(),
    attempts: z.number().int(),
  }),
);

export const runStatus = z.enum(['running', 'succeeded', 'failed', 'skipped']);

/** The answer of "send now" and "test": the run is queued for this tick. */
export const queuedRunDto = z.object({ tickAt: z.string() });
