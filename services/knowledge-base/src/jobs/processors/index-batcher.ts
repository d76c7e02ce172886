import type { IndexJob, IndexResult } from '../../domain/indexing/index-documents.js';

export interface IndexBatcher {
  /** Indexes the job's document together with whatever others are waiting; answers its result. */
  submit(job: IndexJob): Promise<IndexResult>;
}

/**
 * Gathers the index jobs a worker runs at once into batches, group-commit style: a job waits only
 * while `batches` batches are already running, and the next batch takes everything that came in
 * meanwhile (up to `documents`). A lone upload is indexed at once; a bulk load is stored dozens
 * of documents per transaction. With two batches at once, one is extracted and embedded (Node)
 * while the other is stored (Postgres).
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
    while (running < options.batches && waiting.length > 0) {
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
