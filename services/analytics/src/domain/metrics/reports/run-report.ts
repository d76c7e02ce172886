import type { TeamRole } from '@conduit/contracts';
import { uuidv7 } from '@conduit/db';
import { eq, sql } from 'drizzle-orm';
import { reportRuns, reports } from '../../../db/delivery-schema.js';
import type { AnalyticsDeps } from '../../../deps.js';
import { asViewer } from '../../access/viewer-scope.js';
import { creatorAuthority } from '../deliveries/creator-authority.js';
import { deliver } from '../deliveries/deliver.js';
import { explorationOutput } from '../deliveries/exploration-output.js';
import { formatResult } from '../deliveries/format-result.js';
import { mailContent } from '../deliveries/mail-content.js';
import { teamWorkerActor } from '../deliveries/team-worker-actor.js';
import { workSchedulerId } from '../deliveries/work-scheduler.js';
import type { ReportRow, ReportRunRow } from './report-dto.js';

/** A run stuck in `running` this long (its worker died) may be taken over by the job's next try. */
const ABANDONED_AFTER = '10 minutes';

export interface RunReportPayload {
  reportId: string;
  teamId: string;
  /** Set for "send now"; a scheduled run's tick is its scheduler's. */
  tickAt?: string | undefined;
}

/** What a run reads of its BullMQ job. */
export interface TickJob {
  timestamp: number;
  attemptsMade: number;
  opts: { prevMillis?: number | undefined; delay?: number | undefined };
}

/** The tick a job stands for: BullMQ keeps a scheduler job's tick as `prevMillis`. */
export const tickOf = (job?: TickJob) =>
  new Date(job ? (job.opts.prevMillis ?? job.timestamp + (job.opts.delay ?? 0)) : Date.now());

/**
 * One run of a report for one tick: claims the (report, tick) row (a tick another worker has
 * claimed, or that already succeeded, does nothing), runs the exploration, formats it, delivers it
 * to each target not yet served, and records each step on the row. A failure is recorded and
 * thrown, for the job to try again (up to its attempts); the retry redoes only what failed.
 * Answers what happened.
 */
export async function runReport(
  deps: AnalyticsDeps,
  payload: RunReportPayload,
  job?: TickJob,
): Promise<string> {
  const tickAt = payload.tickAt ? new Date(payload.tickAt) : tickOf(job);
  const trigger = payload.tickAt ? 'manual' : 'schedule';
  const attempt = (job?.attemptsMade ?? 0) + 1;
  const worker = teamWorkerActor(payload.teamId);
  const claim = await asViewer(deps.db, worker, async (tx) => {
    const [report] = await tx.select().from(reports).where(eq(reports.id, payload.reportId));
    if (!report) return 'gone' as const;
    if (trigger === 'schedule' && !report.enabled) return undefined;
    const [run] = await tx
      .insert(reportRuns)
      .values({
        id: uuidv7(),
        reportId: report.id,
        teamId: report.teamId,
        tickAt,
        trigger,
        status: 'running',
        attempts: attempt,
      })
      .onConflictDoUpdate({
        target: [reportRuns.reportId, reportRuns.tickAt],
        set: { status: 'running', attempts: attempt, error: null, finishedAt: null },
        setWhere: sql`(${reportRuns.status} = 'failed' and ${reportRuns.attempts} < ${attempt})
          or (${reportRuns.status} = 'running' and ${reportRuns.startedAt} < now() - ${ABANDONED_AFTER}::interval)`,
      })
      .returning();
    return run ? { report, run } : undefined;
  });
  if (claim === 'gone') {
    // Its exploration (and so the report) was deleted: its schedule goes too.
    await deps.jobs.unschedule(workSchedulerId('report', payload.reportId));
    return 'not run: the report is gone';
  }
  if (!claim) return 'not run: paused, or this tick is another worker’s';
  const { report, run } = claim;
  const update = (changes: Partial<ReportRunRow>) =>
    asViewer(deps.db, worker, (tx) => tx.update(reportRuns).set(changes).where(eq(reportRuns.id, run.id)));

  let failure: string | undefined;
  try {
    const authority = await creatorAuthority(deps, report);
    if ('pausedBecause' in authority) {
      await asViewer(deps.db, worker, async (tx) => {
        await tx
          .update(reportRuns)
          .set({ status: 'skipped', error: authority.pausedBecause, finishedAt: new Date() })
          .where(eq(reportRuns.id, run.id));
        await tx
          .update(reports)
          .set({ enabled: false, pausedReason: authority.pausedBecause, updatedAt: new Date() })
          .where(eq(reports.id, report.id));
      });
      return `skipped: ${authority.pausedBecause}`;
    }
    failure = await produceAndDeliver(
      deps,
      { ...report, delivery: authority.delivery, creatorRole: authority.role },
      run,
      update,
    );
  } catch (error) {
    failure = `the exploration could not run: ${(error as Error).message}`;
  }
  await update({ status: failure ? 'failed' : 'succeeded', error: failure ?? null, finishedAt: new Date() });
  if (failure) throw new Error(failure);
  return run.id;
}

async function produceAndDeliver(
  deps: AnalyticsDeps,
  report: ReportRow & { creatorRole: TeamRole },
  run: ReportRunRow,
  update: (changes: Partial<ReportRunRow>) => Promise<unknown>,
): Promise<string | undefined> {
  const { result, chart } = await explorationOutput(deps, {
    teamId: report.teamId,
    userId: report.userId,
    role: report.creatorRole,
    organizationId: report.organizationId,
    explorationId: report.explorationId,
  });
  await update({ rowCount: result.rows.length });
  const formatted = await formatResult(result, { format: report.format, title: report.name, chart });
  const payload = {
    type: 'report',
    deliveryId: run.id,
    report: { id: report.id, name: report.name },
    explorationId: report.explorationId,
    tickAt: run.tickAt.toISOString(),
    trigger: run.trigger,
    format: formatted.format,
    contentType: formatted.contentType,
    rowCount: result.rows.length,
    truncated: result.truncated,
    content: formatted.text,
    ...(formatted.png ? { chartPng: formatted.png.toString('base64') } : {}),
  };
  const { failure } = await deliver(deps, {
    table: 'reports',
    targets: report.delivery,
    sealedWebhookSecret: report.sealedWebhookSecret,
    deliveryId: run.id,
    subject: {
      kind: 'report',
      sourceId: report.id,
      teamId: report.teamId,
      userId: report.userId,
      orgId: report.organizationId,
      name: report.name,
      explorationId: report.explorationId,
      tickAt: run.tickAt,
      notice: null,
      result,
      breaches: [],
    },
    payload,
    mail: {
      subject: `Report: ${report.name}`,
      ...mailContent(result, { title: report.name, chartPng: formatted.png }),
    },
    done: run.delivery,
    record: (tx, delivery) => tx.update(reportRuns).set({ delivery }).where(eq(reportRuns.id, run.id)),
  });
  return failure;
}
