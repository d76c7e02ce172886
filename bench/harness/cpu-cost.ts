import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type postgres from 'postgres';

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on every Linux this runs on). */
const TICKS_PER_SECOND = 100;

/** User plus system CPU time of a process so far, in ms; undefined when it is gone or not on Linux. */
function cpuMs(pid: number): number | undefined {
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
  /** CPU ms per operation of each process measured, and of the database's backends together. */
  perOperationMs: Record<string, number>;
  /** Committed Postgres transactions per operation in the database (relays and polls included). */
  transactionsPerOperation: number;
}

/**
 * What one operation costs in CPU across the processes that serve it: each process's CPU time
 * (from /proc) and that of the Postgres backends connected to `database` (their ids from
 * pg_stat_activity), read before and after `work`, divided by the operations it reports. Unlike
 * throughput, this hardly moves with outside load, so it says where the time goes.
 */
export async function measureCpuCost(
  sql: postgres.Sql,
  database: string,
  processes: Record<string, number>,
  work: () => Promise<number>,
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
  // Backends report their statistics at most once a second.
  await sleep(1_100);
  const startBackends = new Map((await backends()).map((pid) => [pid, cpuMs(pid) ?? 0]));
  const start = Object.fromEntries(Object.entries(processes).map(([name, pid]) => [name, cpuMs(pid) ?? 0]));
  const startCommits = await committed();
  const operations = Math.max(1, await work());
  const end = Object.fromEntries(Object.entries(processes).map(([name, pid]) => [name, cpuMs(pid) ?? 0]));
  let postgresMs = 0;
  // A backend that connected during the stretch counts from its start.
  for (const pid of await backends()) postgresMs += (cpuMs(pid) ?? 0) - (startBackends.get(pid) ?? 0);
  await sleep(1_100);
  const commits = (await committed()) - startCommits;
  const perOperationMs: Record<string, number> = {};
  for (const name of Object.keys(processes)) perOperationMs[name] = (end[name]! - start[name]!) / operations;
  perOperationMs.postgres = postgresMs / operations;
  return { operations, perOperationMs, transactionsPerOperation: commits / operations };
}
