import { z } from 'zod';

/** RFC 9457 problem details, as every Conduit service answers errors. */
export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  code: z.string(),
  requestId: z.string().optional(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
export type Problem = z.infer<typeof problemSchema>;

/** A 402: what is left of the limit that refused (the metric, when a limit has several). */
export const limitProblemSchema = problemSchema.extend({
  metric: z.string().optional(),
  remaining: z.int().optional(),
  limit: z.int().optional(),
  periodEnd: z.string().nullable().optional(),
});
