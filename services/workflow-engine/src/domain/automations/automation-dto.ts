import { z } from 'zod';
import {
  automationRunStatuses,
  type automationRuns,
  automationSources,
  type systemAutomations,
} from '../../db/schema.js';

export type AutomationRow = typeof systemAutomations.$inferSelect;
export type AutomationRunRow = typeof automationRuns.$inferSelect;

const iso = (date: Date | null) => date?.toISOString() ?? null;

export const automationDto = z.object({
  id: z.uuid(),
  botId: z.uuid(),
  name: z.string(),
  schedule: z.string(),
  cron: z.string(),
  timezone: z.string(),
  script: z.string(),
  source: z.enum(automationSources),
  active: z.boolean(),
  ownerUserId: z.uuid(),
  teamId: z.uuid().nullable(),
  lastRunAt: z.string().nullable(),
  nextRunAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const toAutomationDto = (row: AutomationRow): z.output<typeof automationDto> => ({
  id: row.id,
  botId: row.botId,
  name: row.name,
  schedule: row.schedule,
  cron: row.cron,
  timezone: row.timezone,
  script: row.script,
  source: row.source,
  active: row.active,
  ownerUserId: row.ownerUserId,
  teamId: row.teamId,
  lastRunAt: iso(row.lastRunAt),
  nextRunAt: iso(row.nextRunAt),
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

export const automationRunDto = z.object({
  id: z.uuid(),
  automationId: z.uuid(),
  trigger: z.enum(['schedule', 'manual']),
  status: z.enum(automationRunStatuses),
  output: z.array(z.string()),
  error: z.string().nullable(),
  attempt: z.int(),
  tickAt: z.string().nullable(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  execTimeMs: z.int().nullable(),
});

export const toAutomationRunDto = (row: AutomationRunRow): z.output<typeof automationRunDto> => ({
  id: row.id,
  automationId: row.automationId,
  trigger: row.trigger,
  status: row.status,
  output: row.output as string[],
  error: row.error,
  attempt: row.attempt,
  tickAt: iso(row.tickAt),
  startedAt: row.startedAt.toISOString(),
  finishedAt: iso(row.finishedAt),
  execTimeMs: row.execTimeMs,
});
