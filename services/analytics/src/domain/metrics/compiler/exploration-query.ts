import { storableText } from '@conduit/contracts';
import { z } from 'zod';

/**
 * A query of a data schema's members, as explorations save it and POST /v1/metrics/query takes
 * it. Members are `cube.member` names looked up in the schema; values are only ever bind
 * parameters of the compiled statement.
 */

export const memberName = z
  .string()
  .max(130)
  .regex(/^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$/, 'must be a member name, cube.member');

export const granularities = ['minute', 'hour', 'day', 'week', 'month', 'quarter', 'year'] as const;
export type Granularity = (typeof granularities)[number];

export const filterOperators = [
  'equals',
  'notEquals',
  'contains',
  'gt',
  'gte',
  'lt',
  'lte',
  'set',
  'notSet',
  'inDateRange',
] as const;
export type FilterOperator = (typeof filterOperators)[number];

/** A relative range ("last 7 days", "this month") or an absolute [from, to]. */
export const dateRange = z.union([
  storableText(40).min(1),
  z.tuple([storableText(40).min(1), storableText(40).min(1)]),
]);
export type DateRange = z.infer<typeof dateRange>;

export const MAX_QUERY_LIMIT = 10_000;

export const explorationQuery = z
  .object({
    measures: z.array(memberName).max(20).default([]),
    dimensions: z.array(memberName).max(20).default([]),
    segments: z.array(memberName).max(10).default([]),
    timeDimension: z
      .object({
        dimension: memberName,
        granularity: z.enum(granularities).optional(),
        dateRange: dateRange.optional(),
      })
      .strict()
      .optional(),
    /** The IANA zone the granularity and date ranges are read in (`Asia/Kolkata`). */
    timeZone: z.string().max(64).default('UTC'),
    filters: z
      .array(
        z
          .object({
            member: memberName,
            operator: z.enum(filterOperators),
            values: z.array(storableText(1000)).max(100).default([]),
          })
          .strict(),
      )
      .max(20)
      .default([]),
    order: z
      .array(z.object({ member: memberName, direction: z.enum(['asc', 'desc']).default('asc') }).strict())
      .max(10)
      .default([]),
    limit: z.number().int().min(1).max(MAX_QUERY_LIMIT).default(1000),
  })
  .strict();

export type ExplorationQuery = z.output<typeof explorationQuery>;
