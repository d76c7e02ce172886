import { problemSchema } from '@conduit/contracts';

/** Declares problem+json answers for the given statuses, so OpenAPI shows how each route fails. */
export function problemResponses<S extends number>(...statuses: S[]): Record<S, typeof problemSchema> {
  return Object.fromEntries(statuses.map((status) => [status, problemSchema])) as Record<
    S,
    typeof problemSchema
  >;
}
