import { problemSchema } from '@conduit/contracts';
import { z } from 'zod';

/** A 402: what is left of the executions of the period. */
export const limitProblem = problemSchema.extend({
  remaining: z.int().optional(),
  limit: z.int().optional(),
  periodEnd: z.string().nullable().optional(),
});
