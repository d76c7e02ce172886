import { z } from 'zod';

/** What running a query answers (POST /v1/metrics/query, .../explorations/:id/run, reports and alerts). */
export const explorationResult = z.object({
  columns: z.array(
    z.object({
      name: z.string(),
      member: z.string(),
      type: z.enum(['time', 'number', 'string', 'boolean']),
      title: z.string(),
    }),
  ),
  rows: z.array(z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))),
  /** The one parameterized statement that ran ($1, $2, ... are `params`). */
  sql: z.string(),
  params: z.array(z.unknown()),
  durationMs: z.number(),
  /** More rows matched than the limit (or the row cap) lets through. */
  truncated: z.boolean(),
  /** Answered from the short-lived result cache. */
  cached: z.boolean(),
  dataschemaVersion: z.number().int(),
});
export type ExplorationResult = z.infer<typeof explorationResult>;
