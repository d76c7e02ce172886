import type { IndexJob, IndexResult } from '../../domain/indexing/index-documents.js';

export interface IndexBatcher {
  /** Indexes the job's document together with whatever others are waiting; answers its result. */
  submit(job: IndexJob): Promise<IndexResult>;
}

/**
 * Gathers the index jobs a worker runs at once into batches, group-commit style: when no batch is
 * running, a batch starts at once with whatever is waiting (a lone upload is indexed at once);
 * while one runs, the next waits for it to end and then takes everything that came in meanwhile,
 * unless a full batch (`documents`) is waiting, which starts beside it (up to `batches` at once:
 * one is extracted and embedded in Node while another is stored in Postgres). Documents uploaded
 * one after another thus go in batches of those that came during the previous one, instead of
 * one or two per batch, each paying a batch's four transactions.
 */
export function createIndexBatcher(options: {
  documents: number;
  batches: number;
  index: (jobs: IndexJob[]) => Promise<IndexResult[]>;
  /** After each batch, told whether any job is left (running or waiting). */
  afterBatch?: (idle: boolean) => void;
}): IndexBatcher {
  const waiting: {
    job: IndexJob;
    resolve: (result: IndexResult) => void;
    reject: (error: unknown) => void;
  }[] = [];
  let running = 0;
  let scheduled = false;
  const pump = () => {
    scheduled = false;
    while (
      running < options.batches &&
      waiting.length > 0 &&
      (running === 0 || waiting.length >= options.documents)
    ) {
      const batch = waiting.splice(0, options.documents);
      running++;
      options
        .index(batch.map((entry) => entry.job))
        .then(
          (results) => {
            for (const [i, entry] of batch.entries()) entry.resolve(results[i]!);
          },
          (error: unknown) => {
            for (const entry of batch) entry.reject(error);
          },
        )
        .finally(() => {
          running--;
          options.afterBatch?.(running === 0 && waiting.length === 0);
          schedule();
        });
    }
  };
  // Jobs handed over in the same turn of the event loop go together.
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(pump);
  };
  return {
    submit: (job) =>
      new Promise((resolve, reject) => {
        waiting.push({ job, resolve, reject });
        schedule();
      }),
  };
}
