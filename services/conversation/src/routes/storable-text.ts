import { DomainError } from '@conduit/errors';
import type { FastifyRequest } from 'fastify';

/** Deeper JSON than any bot needs; refused before anything recurses into it. */
const MAX_DEPTH = 64;

/** Postgres text cannot hold U+0000, and jsonb refuses it and unpaired surrogates too. */
const storable = (text: string) => !text.includes('\0') && text.isWellFormed();

/**
 * Why a request's params, query or body could not be stored, if it could not: the path of the
 * first offending string (keys included). Walks without recursion, checking depth first.
 */
function unstorablePath(parts: Record<string, unknown>): string | undefined {
  const pending: [value: unknown, path: string, depth: number][] = Object.entries(parts).map(
    ([part, value]) => [value, part, 0],
  );
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [value, path, depth] = next;
    if (typeof value === 'string') {
      if (!storable(value)) return path;
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth > MAX_DEPTH) return path;
    for (const [key, child] of Object.entries(value)) {
      if (!storable(key)) return path;
      pending.push([child, `${path}.${key}`, depth + 1]);
    }
  }
  return undefined;
}

/**
 * Every route stores what it is given (text columns, jsonb), so text Postgres would refuse is a
 * 400 here, once for all of them, instead of a 500 at insert.
 */
export async function refuseUnstorableText(request: FastifyRequest) {
  const path = unstorablePath({ params: request.params, querystring: request.query, body: request.body });
  if (path === undefined) return;
  const message = `must not contain U+0000 or unpaired surrogates, nor nest deeper than ${MAX_DEPTH} levels`;
  throw new DomainError('validation_failed', `The request is invalid: ${path} ${message}`, {
    fields: { errors: [{ path, message }] },
  });
}
