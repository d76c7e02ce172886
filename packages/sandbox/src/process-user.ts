import { readdir, readFile } from 'node:fs/promises';

/**
 * RLIMIT_NPROC (the process limit that stops a fork bomb) is never enforced for root: a sandbox
 * started by a root server would have no process limit at all. So a root server switches each run
 * to a user id of its own (setpriv). Linux 5.14 and later count the limit per user namespace, so
 * every sandbox has its own budget; older kernels count per user id across the machine, which the
 * per-run user id also keeps apart. A server started as another user runs the sandbox as itself
 * and adds the threads it already has to the budget, for those older kernels.
 */
const slotsInUse = new Set<number>();
const slotCount = 1000;

export interface RunIdentity {
  /** Set when the run switches to a user id of its own; undefined when it runs as this process. */
  uid: number | undefined;
  release(): void;
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export function takeRunIdentity(uidBase: number): RunIdentity {
  if (!isRoot()) return { uid: undefined, release: () => {} };
  let slot = 0;
  while (slotsInUse.has(slot) && slot < slotCount) slot++;
  if (slot === slotCount) throw new Error('every sandbox user id is in use');
  slotsInUse.add(slot);
  return { uid: uidBase + slot, release: () => slotsInUse.delete(slot) };
}

/** Processes and threads that already count against this user's RLIMIT_NPROC. */
export async function threadsOwnedBy(uid: number): Promise<number> {
  let count = 0;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const status = await readFile(`/proc/${entry}/status`, 'utf8').catch(() => '');
    const realUid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
    const threads = /^Threads:\s+(\d+)/m.exec(status)?.[1];
    if (realUid !== undefined && Number(realUid) === uid) count += Number(threads ?? 1);
  }
  return count;
}
