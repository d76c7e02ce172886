import { expect } from 'vitest';

/** One request of an authorization matrix: a JSON body, or a raw (multipart) one. */
export interface MatrixCell {
  method: string;
  url: string;
  body?: unknown;
  /** Sent as is, with its own headers (a multipart upload). */
  raw?: { payload: Buffer; headers: Record<string, string> };
}

/**
 * A route of a matrix, kept as data: how to make its request for an actor, and the status each
 * actor must get, in the order of the matrix's actors.
 */
export interface MatrixRow<Context, Actor extends string> {
  route: string;
  request: (context: Context, actor: Actor) => Promise<MatrixCell> | MatrixCell;
  expected: number[];
}

export interface MatrixAnswer<Actor extends string> {
  actor: Actor;
  cell: MatrixCell;
  status: number;
  text: string;
}

/**
 * Sends a row's request through the gateway once per actor (with the actor's token, or none) and
 * checks that every refusal is problem+json. Answers each actor's status beside the one wanted,
 * as two records, so that a failure shows the whole row at once. `inspect` sees every answer (to
 * check, say, that a secret is in none of them).
 */
export async function runMatrixRow<Context, Actor extends string>(options: {
  gatewayUrl: string;
  actors: readonly Actor[];
  tokens: Partial<Record<Actor, string | undefined>>;
  context: Context;
  row: MatrixRow<Context, Actor>;
  inspect?: (answer: MatrixAnswer<Actor>) => void;
}): Promise<{ actual: Record<string, number>; wanted: Record<string, number> }> {
  const { gatewayUrl, actors, tokens, context, row, inspect } = options;
  const actual: Record<string, number> = {};
  const wanted: Record<string, number> = {};
  for (const [i, actor] of actors.entries()) {
    const cell = await row.request(context, actor);
    const token = tokens[actor];
    const res = await fetch(`${gatewayUrl}${cell.url}`, {
      method: cell.method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        // fetch sets the length itself.
        ...(cell.raw
          ? { 'content-type': cell.raw.headers['content-type']! }
          : cell.body !== undefined
            ? { 'content-type': 'application/json' }
            : {}),
      },
      body: cell.raw ? cell.raw.payload : cell.body !== undefined ? JSON.stringify(cell.body) : undefined,
    });
    const text = await res.text();
    actual[actor] = res.status;
    wanted[actor] = row.expected[i]!;
    if (res.status >= 400)
      expect(res.headers.get('content-type'), `${row.route} as ${actor}`).toContain(
        'application/problem+json',
      );
    inspect?.({ actor, cell, status: res.status, text });
  }
  return { actual, wanted };
}
