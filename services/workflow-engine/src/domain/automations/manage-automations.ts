import type { Actor } from '@conduit/contracts';
import { keysetPage, type PageRequest, type Transaction, uuidv7, withActor } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq, getTableColumns } from 'drizzle-orm';
import { automationRuns, systemAutomations } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';
import { reserveExecution } from '../executions/reserve-execution.js';
import { toAutomationDto, toAutomationRunDto } from './automation-dto.js';
import { compileAutomation } from './automation-keywords.js';
import { compileSchedule, nextRunOf } from './automation-schedule.js';
import { removeAutomationScheduler, syncAutomationScheduler } from './automation-scheduler.js';
import { automationContext, requireBotManager } from './bot-ownership.js';

/** Throws unprocessable when the schedule or time zone is not understood. */
function scheduleOrReject(schedule: string, timezone: string) {
  const compiled = compileSchedule(schedule, timezone);
  if (!compiled.ok)
    throw new DomainError('unprocessable', `The schedule is not understood: ${compiled.message}`, {
      fields: { errors: [{ path: 'schedule', message: compiled.message }] },
    });
  return compiled.cron;
}

/** Throws unprocessable listing each compile error of the script. */
function scriptOrReject(deps: WorkflowDeps, script: string) {
  const compiled = compileAutomation(script, deps.env);
  if (!compiled.ok)
    throw new DomainError('unprocessable', 'The script does not compile.', {
      fields: {
        errors: compiled.errors.map((e) => ({
          path: 'script',
          message: `line ${e.line}, column ${e.column}: ${e.message}`,
        })),
      },
    });
}

async function loadAutomation(tx: Transaction, botId: string, automationId: string) {
  const [row] = await tx
    .select()
    .from(systemAutomations)
    .where(and(eq(systemAutomations.id, automationId), eq(systemAutomations.botId, botId)));
  if (!row) throw new DomainError('not_found', 'No such automation of this bot.');
  return row;
}

/** A bot's automations, oldest first. Throws as requireBotManager. */
export async function listAutomations(deps: WorkflowDeps, actor: Actor, botId: string, query: PageRequest) {
  const page = keysetPage({ by: [systemAutomations.id], order: 'asc' }, query);
  await requireBotManager(deps, actor, botId);
  return withActor(deps.db, automationContext(actor), async (tx) => {
    const rows = await tx
      .select({ ...getTableColumns(systemAutomations), pageKey: page.key })
      .from(systemAutomations)
      .where(and(eq(systemAutomations.botId, botId), page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, toAutomationDto);
  });
}

export async function getAutomation(deps: WorkflowDeps, actor: Actor, botId: string, automationId: string) {
  await requireBotManager(deps, actor, botId);
  return withActor(deps.db, automationContext(actor), async (tx) =>
    toAutomationDto(await loadAutomation(tx, botId, automationId)),
  );
}

export interface AutomationInput {
  name: string;
  schedule: string;
  timezone?: string | undefined;
  script: string;
  active?: boolean | undefined;
}

/**
 * Adds an automation to a bot (source `api`): a BASIC script on a schedule, run as the bot's
 * owner. Throws as requireBotManager, unprocessable for a schedule, time zone or script that is
 * not understood.
 */
export async function createAutomation(
  deps: WorkflowDeps,
  actor: Actor,
  botId: string,
  input: AutomationInput,
) {
  const bot = await requireBotManager(deps, actor, botId);
  const timezone = input.timezone ?? 'UTC';
  const cron = scheduleOrReject(input.schedule, timezone);
  scriptOrReject(deps, input.script);
  const row = await withActor(deps.db, automationContext(actor), async (tx) => {
    const [row] = await tx
      .insert(systemAutomations)
      .values({
        id: uuidv7(),
        botId,
        organizationId: bot.orgId,
        ownerUserId: bot.ownerUserId,
        teamId: bot.teamId,
        name: input.name,
        schedule: input.schedule,
        cron,
        timezone,
        script: input.script,
        source: 'api',
        active: input.active ?? true,
        nextRunAt: input.active === false ? null : nextRunOf(cron, timezone),
      })
      .returning();
    return row!;
  });
  await syncAutomationScheduler(deps.jobs, row);
  return toAutomationDto(row);
}

/**
 * Changes an automation. One kept in step with the bot's script (source `script`) takes only
 * name, time zone and active here: its schedule and script are the bot's (unprocessable
 * otherwise). Throws as requireBotManager, not_found for another bot's automation.
 */
export async function updateAutomation(
  deps: WorkflowDeps,
  actor: Actor,
  botId: string,
  automationId: string,
  input: Partial<AutomationInput>,
) {
  await requireBotManager(deps, actor, botId);
  if (input.script !== undefined) scriptOrReject(deps, input.script);
  const row = await withActor(deps.db, automationContext(actor), async (tx) => {
    const current = await loadAutomation(tx, botId, automationId);
    if (current.source === 'script' && (input.schedule !== undefined || input.script !== undefined))
      throw new DomainError(
        'unprocessable',
        "This automation follows the SET SCHEDULE of the bot's script: change the bot's script instead.",
      );
    const timezone = input.timezone ?? current.timezone;
    const schedule = input.schedule ?? current.schedule;
    const cron = scheduleOrReject(schedule, timezone);
    const active = input.active ?? current.active;
    const [row] = await tx
      .update(systemAutomations)
      .set({
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.script !== undefined ? { script: input.script } : {}),
        schedule,
        cron,
        timezone,
        active,
        nextRunAt: active ? nextRunOf(cron, timezone) : null,
        updatedAt: new Date(),
      })
      .where(eq(systemAutomations.id, automationId))
      .returning();
    return row!;
  });
  await syncAutomationScheduler(deps.jobs, row);
  return toAutomationDto(row);
}

/** Deletes an automation with its runs. (One that follows the bot's script comes back with its next save.) */
export async function deleteAutomation(
  deps: WorkflowDeps,
  actor: Actor,
  botId: string,
  automationId: string,
) {
  await requireBotManager(deps, actor, botId);
  await withActor(deps.db, automationContext(actor), async (tx) => {
    await loadAutomation(tx, botId, automationId);
    await tx.delete(systemAutomations).where(eq(systemAutomations.id, automationId));
  });
  await removeAutomationScheduler(deps.jobs, automationId);
}

/** An automation's runs, newest first. Throws bad_request for a cursor it did not give. */
export async function listAutomationRuns(
  deps: WorkflowDeps,
  actor: Actor,
  botId: string,
  automationId: string,
  query: { limit: number; cursor?: string | undefined },
) {
  // The cursor is read first: one it did not give out is a 400 whatever the bot.
  const page = keysetPage({ by: [automationRuns.startedAt, automationRuns.id], order: 'desc' }, query);
  await requireBotManager(deps, actor, botId);
  return withActor(deps.db, automationContext(actor), async (tx) => {
    await loadAutomation(tx, botId, automationId);
    const rows = await tx
      .select({ ...getTableColumns(automationRuns), pageKey: page.key })
      .from(automationRuns)
      .where(and(eq(automationRuns.automationId, automationId), page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit);
    const { items, nextCursor } = page.of(rows, (row) => row);
    return { items: items.map(toAutomationRunDto), nextCursor };
  });
}

/**
 * Runs an automation now (even a paused one): one `executions` is reserved at once (402 when none
 * is left), then a worker runs it as the bot's owner. Answers the run's id; a run still going makes
 * this one `skipped`.
 */
export async function runAutomationNow(
  deps: WorkflowDeps,
  actor: Actor,
  botId: string,
  automationId: string,
) {
  await requireBotManager(deps, actor, botId);
  const row = await withActor(deps.db, automationContext(actor), (tx) =>
    loadAutomation(tx, botId, automationId),
  );
  await reserveExecution(deps, { userId: row.ownerUserId, teamId: row.teamId });
  const runId = uuidv7();
  await deps.jobs.add(
    'run-automation',
    { automationId, ownerUserId: row.ownerUserId, teamId: row.teamId, runId, reserved: true },
    { jobId: `automation-run-${runId}` },
  );
  return { runId };
}
