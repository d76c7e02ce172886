import { problemSchema, readableText, storableJson } from '@conduit/contracts';
import { z } from 'zod';

export const security = [{ bearer: [] }];

/** A 422 for a script that does not compile: each error with its line and column. */
export const scriptProblem = problemSchema.extend({
  errors: z
    .array(
      z.object({
        path: z.string(),
        message: z.string(),
        line: z.int().optional(),
        column: z.int().optional(),
      }),
    )
    .optional(),
});

/** A 402: what is left of the limit that refused the reply. */
export const limitProblem = problemSchema.extend({
  metric: z.string().optional(),
  remaining: z.int().optional(),
  limit: z.int().optional(),
  periodEnd: z.string().nullable().optional(),
});

export const botParams = z.object({ botId: z.uuid() });
export const sessionParams = z.object({ sessionId: z.uuid() });
export const memoryKey = readableText(200);
/** JSON values of memories: anything JSON can hold, as much as a memory may (MAX_MEMORY_BYTES). */
export const jsonValue = storableJson({ maxDepth: 32, maxBytes: 64 * 1024 });
