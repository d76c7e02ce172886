import { MAX_REQUEST_DEPTH, unstorablePart } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import type { FastifyRequest } from 'fastify';

/**
 * The shared storable rule (@conduit/contracts) over every request's params, query and body, before
 * any schema or handler sees them: a route whose schema forgets a field, a multipart or CSV body
 * that no schema describes, still answers 400 instead of a 500 at insert. Schemas bound each
 * field's length and each JSON field's depth and size more tightly.
 */
export async function refuseUnstorableInput(request: FastifyRequest) {
  const parts = { params: request.params, querystring: request.query, body: request.body };
  for (const [part, value] of Object.entries(parts)) {
    const found = unstorablePart(value, MAX_REQUEST_DEPTH);
    if (!found) continue;
    const path = [part, ...found.path].join('.');
    throw new DomainError('validation_failed', `The request is invalid: ${path} ${found.message}`, {
      fields: { errors: [{ path, message: found.message }] },
    });
  }
}
