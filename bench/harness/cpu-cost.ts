import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type postgres from 'postgres';

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on every Linux this runs on). */
const TICKS_PER_SECOND = 100;

/** User plus system CPU time of a process so far, in ms; undefined when it is gone or not on Linux. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

export interface CpuCost {
  /** What was done in the stretch (e.g. messages answered). */
  operations: number;
  /**
   * CPU ms per operation of each process measured, and of the database's backends together, less
   * what the same processes spend idle (timers, polls, relays) over as long.
   */
  perOperationMs: Record<string, number>;
  /** Committed Postgres transactions per operation in the database, less those of an idle stretch. */
  transactionsPerOperation: number;
}

/**
 * What one operation costs in CPU across the processes that serve it: each process's CPU time
 * (from /proc) and that of the Postgres backends connected to `database` (their ids from
 * pg_stat_activity), read before and after `work`, divided by the operations it reports. What
 * the processes spend while idle (measured for `idleSeconds` first) is taken off, so that a run
 * that answers fewer operations is not charged more of the background per operation.
 */
export async function measureCpuCost(
  sql: postgres.Sql,
  database: string,
  processes: Record<string, number>,
  work: () => Promise<number>,
  idleSeconds = 3,
): Promise<CpuCost> {
  const backends = async () =>
    (
      await sql<
        { pid: number }[]
      >`select pid from pg_stat_activity where datname = ${database} and pid <> pg_backend_pid()`
    ).map((row) => row.pid);
  const committed = async () => {
    const [row] = await sql<{ commits: string }[]>`
      select xact_commit::text as commits from pg_stat_database where datname = ${database}`;
    return Number(row?.commits ?? 0);
  };
  /** CPU ms of each process and of the backends together, commits, and the time, now. */
  const reading = async () => {
    const at = performance.now();
    const cpu: Record<string, number> = {};
    for (const [name, pid] of Object.entries(processes)) cpu[name] = processCpuMs(pid) ?? 0;
    const pids = await backends();
    const backendMs = new Map(pids.map((pid) => [pid, processCpuMs(pid) ?? 0]));
    return { at, cpu, backendMs, commits: await committed() };
  };
  const spent = (from: Awaited<ReturnType<typeof reading>>, to: Awaited<ReturnType<typeof reading>>) => {
    const ms: Record<string, number> = {};
    for (const name of Object.keys(processes)) ms[name] = to.cpu[name]! - from.cpu[name]!;
    // A backend that connected in between counts from its start.
    ms.postgres = [...to.backendMs].reduce((sum, [pid, t]) => sum + t - (from.backendMs.get(pid) ?? 0), 0);
    return { ms, seconds: (to.at - from.at) / 1000, commits: to.commits - from.commits };
  };
  // Backends report their statistics at most once a second.
  await sleep(1_100);
  const idleStart = await reading();
  await sleep(idleSeconds * 1000);
  const idleEnd = await reading();
  const idle = spent(idleStart, idleEnd);
  const operations = Math.max(1, await work());
  await sleep(1_100);
  const busy = spent(idleEnd, await reading());
  const scale = busy.seconds / idle.seconds;
  const perOperationMs: Record<string, number> = {};
  for (const [name, ms] of Object.entries(busy.ms))
    perOperationMs[name] = Math.max(0, ms - idle.ms[name]! * scale) / operations;
  return {
    operations,
    perOperationMs,
    transactionsPerOperation: Math.max(0, busy.commits - idle.commits * scale) / operations,
  };
}
