import { run } from '@conduit/basic';
import { uuidv7, withActor } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import type { Job } from 'bullmq';
import { and, eq, lt, sql } from 'drizzle-orm';
import type { z } from 'zod';
import { automationRuns, systemAutomations } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';
import type { runAutomationPayload } from '../../jobs/catalog.js';
import { reserveExecution } from '../executions/reserve-execution.js';
import type { AutomationRow } from './automation-dto.js';
import { automationHost, type RunRecord } from './automation-host.js';
import { compileAutomation } from './automation-keywords.js';
import { nextRunOf } from './automation-schedule.js';
import { removeAutomationScheduler } from './automation-scheduler.js';
import { ownerContext } from './bot-ownership.js';

type Payload = z.output<typeof runAutomationPayload>;

/** A failure worth another attempt of the job (BullMQ retries it; the same run row goes on). */
export class RunAgainError extends Error {}

/**
 * One run of a bot automation, in the worker. A tick of its scheduler (or a run asked for now) is
 * one row in automation_runs however often its job is tried. At most one run of an automation is
 * `running` at once (a partial unique index): a tick that finds one going is recorded `skipped`.
 * Each run reserves one `executions` of the bot's payer (its team, else its owner); none left: the
 * run is `skipped`. The script's own errors are recorded on the run, not thrown; a keyword that
 * failed because a service did not answer makes the job try again (AUTOMATION_ATTEMPTS).
 */
export async function runAutomation(deps: WorkflowDeps, payload: Payload, job?: Job): Promise<string> {
  const [automation] = await withActor(deps.db, ownerContext(payload), (tx) =>
    tx.select().from(systemAutomations).where(eq(systemAutomations.id, payload.automationId)),
  );
  const trigger = payload.runId ? 'manual' : 'schedule';
  // Not seen as this owner: deleted (its scheduler went with it), or given to a new owner, whose
  // save upserts the scheduler with them. Seen but paused: a scheduler left by a raced change stops.
  if (!automation) return 'not found';
  if (trigger === 'schedule' && !automation.active) {
    await removeAutomationScheduler(deps.jobs, payload.automationId);
    return 'not active';
  }
  const jobId = job?.id ?? payload.runId ?? null;
  const tickAt = job ? new Date(job.timestamp + (job.opts.delay ?? 0)) : new Date();
  const begun = await beginRun(deps, automation, {
    runId: payload.runId,
    jobId,
    trigger,
    tickAt,
    attempt: (job?.attemptsMade ?? 0) + 1,
  });
  if (begun.kind !== 'running') return begun.kind;
  const runId = begun.runId;

  if (!payload.reserved && begun.attempt === 1) {
    try {
      await reserveExecution(deps, { userId: automation.ownerUserId, teamId: automation.teamId });
    } catch (error) {
      if (!(error instanceof DomainError && error.code === 'limit_reached')) {
        await finishRun(deps, automation, runId, {
          status: 'error',
          output: [],
          error: 'usage could not be checked; tried again',
          started: Date.now(),
        });
        throw error;
      }
      await finishRun(deps, automation, runId, {
        status: 'skipped',
        output: [],
        error: 'no executions left in this period',
        started: Date.now(),
      });
      return 'no usage left';
    }
  }

  const started = Date.now();
  const record: RunRecord = { output: [], transient: false };
  const compiled = compileAutomation(automation.script, deps.env);
  let error: string | null = null;
  if (!compiled.ok)
    error = `The script does not compile: line ${compiled.errors[0]?.line}: ${compiled.errors[0]?.message}`;
  else {
    const result = await run(compiled.program, {
      host: automationHost(deps, automation, runId, record),
      limits: { maxSteps: deps.env.AUTOMATION_MAX_STEPS, maxWallTimeMs: deps.env.AUTOMATION_TIMEOUT },
    });
    if (result.status === 'error') error = `line ${result.error.line}: ${result.error.message}`;
    else if (result.status === 'suspended')
      error =
        result.reason === 'hear'
          ? 'HEAR waits for a user: an automation has none'
          : 'WAIT is not available in an automation';
  }
  const attemptsLeft = job ? job.attemptsMade + 1 < (job.opts.attempts ?? 1) : false;
  if (error && record.transient && attemptsLeft) {
    await finishRun(deps, automation, runId, {
      status: 'error',
      output: record.output,
      error: `${error} (a service did not answer; tried again)`,
      started,
    });
    throw new RunAgainError(error);
  }
  await finishRun(deps, automation, runId, {
    status: error ? 'error' : 'success',
    output: record.output,
    error,
    started,
  });
  return error ? 'error' : 'success';
}

/**
 * Makes (or takes up again, on a retried job) the run's row as `running`. A run of the same
 * automation still going makes this one `skipped`; a `running` row older than its time budget
 * is left from a dead worker and is closed as failed first.
 */
async function beginRun(
  deps: WorkflowDeps,
  automation: AutomationRow,
  run: {
    runId: string | undefined;
    jobId: string | null;
    trigger: 'schedule' | 'manual';
    tickAt: Date;
    attempt: number;
  },
): Promise<{ kind: 'running'; runId: string; attempt: number } | { kind: 'skipped' | 'done' }> {
  return withActor(deps.db, ownerContext(automation), async (tx) => {
    const staleBefore = new Date(Date.now() - 2 * deps.env.AUTOMATION_TIMEOUT - 60_000);
    await tx
      .update(automationRuns)
      .set({ status: 'error', error: 'the worker running it stopped', finishedAt: new Date() })
      .where(
        and(
          eq(automationRuns.automationId, automation.id),
          eq(automationRuns.status, 'running'),
          lt(automationRuns.startedAt, staleBefore),
        ),
      );
    if (run.jobId) {
      const [existing] = await tx
        .select()
        .from(automationRuns)
        .where(and(eq(automationRuns.automationId, automation.id), eq(automationRuns.jobId, run.jobId)));
      if (existing && existing.status !== 'running' && existing.status !== 'error')
        return { kind: 'done' as const };
      if (existing) {
        // Another attempt of the same tick: the same row goes on (unless another run holds the slot).
        const [taken] = await tx
          .update(automationRuns)
          .set({
            status: 'running',
            attempt: run.attempt,
            error: null,
            startedAt: new Date(),
            finishedAt: null,
          })
          .where(
            and(
              eq(automationRuns.id, existing.id),
              sql`not exists (select 1 from workflow.automation_runs r where r.automation_id = ${automation.id} and r.status = 'running' and r.id <> ${existing.id})`,
            ),
          )
          .returning({ id: automationRuns.id });
        return taken
          ? { kind: 'running' as const, runId: taken.id, attempt: run.attempt }
          : { kind: 'skipped' as const };
      }
    }
    const id = run.runId ?? uuidv7();
    const [inserted] = await tx
      .insert(automationRuns)
      .values({
        id,
        automationId: automation.id,
        botId: automation.botId,
        jobId: run.jobId,
        trigger: run.trigger,
        status: 'running',
        tickAt: run.tickAt,
        attempt: run.attempt,
      })
      .onConflictDoNothing()
      .returning({ id: automationRuns.id });
    if (inserted) return { kind: 'running' as const, runId: inserted.id, attempt: run.attempt };
    // The slot is taken: the run still going is left alone, this tick is recorded as skipped.
    await tx
      .insert(automationRuns)
      .values({
        id: run.runId ?? uuidv7(),
        automationId: automation.id,
        botId: automation.botId,
        jobId: run.jobId,
        trigger: run.trigger,
        status: 'skipped',
        error: 'the previous run was still going',
        tickAt: run.tickAt,
        finishedAt: new Date(),
        execTimeMs: 0,
      })
      .onConflictDoNothing();
    return { kind: 'skipped' as const };
  });
}

/** Records how a run ended, and when the automation ran and runs next. */
async function finishRun(
  deps: WorkflowDeps,
  automation: AutomationRow,
  runId: string,
  end: { status: 'success' | 'error' | 'skipped'; output: string[]; error: string | null; started: number },
) {
  await withActor(deps.db, ownerContext(automation), async (tx) => {
    const now = new Date();
    await tx
      .update(automationRuns)
      .set({
        status: end.status,
        output: end.output,
        error: end.error?.slice(0, 4000) ?? null,
        finishedAt: now,
        execTimeMs: Date.now() - end.started,
      })
      .where(eq(automationRuns.id, runId));
    await tx
      .update(systemAutomations)
      .set({
        lastRunAt: now,
        nextRunAt: automation.active ? nextRunOf(automation.cron, automation.timezone) : null,
      })
      .where(eq(systemAutomations.id, automation.id));
  });
}
