import { type Bus, RpcError, type RpcServer, serveRpc } from '@conduit/bus';
import { jobsAdminRpc } from '@conduit/contracts';
import { type Database, failedJobsTable } from '@conduit/db';
import type { JobCatalog, Producer } from '@conduit/jobs';
import type { Logger } from '@conduit/service-kit';
import { desc, eq } from 'drizzle-orm';
import { pgSchema } from 'drizzle-orm/pg-core';

/**
 * `rpc.<service>.jobs.admin` for a service with a job queue: its queue's counts and the failed jobs
 * its `failed_jobs` keeps, with retry (the same job and payload, queued again under an id derived
 * from the failed job, so a repeated retry queues it once) and discard. Whoever asks must be a
 * platform admin: the caller (the admin jobs route) checks that; this answers only on the bus.
 */
export function serveJobsAdmin(options: {
  service: string;
  schema: string;
  bus: Bus;
  db: Database;
  jobs: Producer<JobCatalog>;
  log: Logger;
}): RpcServer {
  const failedJobs = failedJobsTable(pgSchema(options.schema));
  const { queue } = options.jobs;
  const load = async (id: string) => {
    const [row] = await options.db.select().from(failedJobs).where(eq(failedJobs.id, id));
    if (!row) throw new RpcError('not_found', 'No such failed job.');
    return row;
  };
  const list = async (limit = 50) => {
    const counts = await queue.getJobCounts(
      'waiting',
      'active',
      'delayed',
      'failed',
      'completed',
      'prioritized',
    );
    const rows = await options.db.select().from(failedJobs).orderBy(desc(failedJobs.failedAt)).limit(limit);
    return {
      queue: queue.name,
      counts: {
        waiting: counts.waiting ?? 0,
        active: counts.active ?? 0,
        delayed: counts.delayed ?? 0,
        failed: counts.failed ?? 0,
        completed: counts.completed ?? 0,
        prioritized: counts.prioritized ?? 0,
      },
      failed: rows.map((row) => ({ ...row, failedAt: row.failedAt.toISOString() })),
    };
  };
  return serveRpc(
    options.bus,
    jobsAdminRpc(options.service),
    options.service,
    async (request) => {
      if (request.op === 'list') return list(request.limit);
      const row = await load(request.failedJobId);
      // The job that failed leaves BullMQ's failed set either way: the row is the record of it.
      if (row.jobId) await (await queue.getJob(row.jobId))?.remove().catch(() => {});
      let jobId: string | undefined;
      if (request.op === 'retry')
        jobId = await options.jobs.add(row.jobName as never, row.payload as never, {
          jobId: `retry-${row.id}`,
        });
      await options.db.delete(failedJobs).where(eq(failedJobs.id, row.id));
      options.log.info(
        { failedJobId: row.id, job: row.jobName, op: request.op },
        'failed job settled by a platform admin',
      );
      return { ...(await list()), ...(jobId ? { jobId } : {}) };
    },
    (error) => options.log.error({ err: error }, `rpc.${options.service}.jobs.admin failed`),
  );
}
