/**
 * What a run creates on the machine (child processes, a database, a NATS stream) is undone on the
 * way out: after a scenario, after a failure, and on Ctrl-C. Cleanups run newest first, so a
 * service stops before the database it uses is dropped.
 */
const pending: (() => Promise<void>)[] = [];

/** Registers `undo`; the returned function runs it now (once) and forgets it. */
export function deferCleanup(undo: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  const once = () => {
    done ??= (async () => {
      const index = pending.indexOf(once);
      if (index >= 0) pending.splice(index, 1);
      await undo();
    })();
    return done;
  };
  pending.push(once);
  return once;
}

/** Runs every pending cleanup, newest first; a failing one is reported and the rest still run. */
export async function cleanUpAll(): Promise<void> {
  for (let undo = pending.at(-1); undo; undo = pending.at(-1)) {
    await undo().catch((error: unknown) => console.error('cleanup failed:', error));
  }
}

/** On SIGINT / SIGTERM: clean up, then exit (a second signal exits at once). */
export function cleanUpOnSignals(): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    console.error(`\n${signal}: stopping the servers and removing what the run created...`);
    void cleanUpAll().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
