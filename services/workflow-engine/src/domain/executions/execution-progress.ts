import type { Bus } from '@conduit/bus';

/**
 * Word that an execution changed, on plain NATS (not JetStream: nothing is kept). The state itself
 * is in Postgres; a watcher told of a change reads it there, under the reader's own access rules,
 * so a lost word costs only a delay until the watcher's next look.
 */
const subjectOf = (bus: Bus, executionId: string) => bus.subject(`live.workflow.execution.${executionId}`);

const STEP = 'step';

/**
 * What a change was, for watchers that wait for one kind only: `step` is a step of a running
 * execution that neither answered its webhook nor ended it (taken up, a node claimed or committed
 * without an answer); anything else (`change`) may have.
 */
export type ProgressKind = 'step' | 'change';

/** Says that an execution changed; after the change committed. Never throws. */
export function announceProgress(bus: Bus, executionId: string, kind: ProgressKind = 'change'): void {
  try {
    bus.nc.publish(subjectOf(bus, executionId), kind === 'step' ? STEP : '');
  } catch {
    // A closed or reconnecting connection: watchers look again on their own after a while.
  }
}

export interface ProgressWatch {
  /** Resolves when the execution changed, or after `timeoutMs` in any case (look again then). */
  changed(timeoutMs: number): Promise<void>;
  stop(): void;
}

/**
 * Watches an execution for changes; start it before reading the state, so no change is missed.
 * With `ignoreSteps`, only changes that may have answered its webhook or ended it count (a webhook
 * waiting for its answer need not read the execution again after every node).
 */
export function watchProgress(
  bus: Bus,
  executionId: string,
  options: { ignoreSteps?: boolean } = {},
): ProgressWatch {
  let dirty = false;
  let wake: (() => void) | undefined;
  const subscription = bus.nc.subscribe(subjectOf(bus, executionId), {
    callback: (_error, message) => {
      if (options.ignoreSteps && message?.string() === STEP) return;
      dirty = true;
      wake?.();
    },
  });
  return {
    changed(timeoutMs) {
      if (dirty) {
        dirty = false;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        const timer = setTimeout(done, timeoutMs);
        function done() {
          clearTimeout(timer);
          wake = undefined;
          dirty = false;
          resolve();
        }
        wake = done;
      });
    },
    stop: () => subscription.unsubscribe(),
  };
}
