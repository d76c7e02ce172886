import { withoutActor } from '@conduit/db';
import { loggableError } from '@conduit/service-kit';
import { sql } from 'drizzle-orm';
import type { SessionContext } from '../../db/schema.js';
import type { ConversationDeps } from '../../deps.js';
import { contextAtRest, contextInUse } from './sealed-context.js';

// The worker's upkeep of what sessions keep of a script's secrets (SET HEADER's headers, the
// suspended dialog's state), through the security-definer functions of migration 0013 since it
// has no user: a session that ended or expired keeps neither, and a row stored before they were
// sealed at rest is sealed with the service's key. Both are idempotent: running it again, or on two
// workers at once, changes nothing more.

const NIL = '00000000-0000-0000-0000-000000000000';

/**
 * Drops the headers and dialog of ended and expired sessions, then seals the plaintext headers and
 * dialog states of open ones, a batch at a time. A row a turn changed meanwhile is left to that
 * turn (which stores it sealed). Answers how many sessions each step changed.
 */
export async function upkeepSessionSecrets(
  deps: ConversationDeps,
  batch = 500,
): Promise<{ dropped: number; sealed: number }> {
  let dropped = 0;
  for (;;) {
    const [row] = await withoutActor(deps.db, (tx) =>
      tx.execute<{ changed: number }>(
        sql`select conversation.drop_ended_session_secrets(${batch}::integer) as changed`,
      ),
    );
    const changed = Number(row?.changed ?? 0);
    dropped += changed;
    if (changed < batch) break;
  }

  let sealed = 0;
  let after = NIL;
  for (;;) {
    const rows = await withoutActor(deps.db, (tx) =>
      tx.execute<{ id: string; context: SessionContext }>(
        sql`select id, context from conversation.sessions_with_plaintext_secrets(${after}::uuid, ${batch}::integer)`,
      ),
    );
    for (const { id, context } of rows) {
      const atRest = contextAtRest(deps.box, id, contextInUse(deps.box, id, context, deps.log));
      try {
        const [done] = await withoutActor(deps.db, (tx) =>
          tx.execute<{ replaced: boolean }>(
            sql`select conversation.seal_session_secrets(${id}::uuid, ${JSON.stringify(context)}::jsonb, ${JSON.stringify(atRest)}::jsonb) as replaced`,
          ),
        );
        if (done?.replaced) sealed++;
      } catch (error) {
        // One row that cannot be sealed (a part that no longer opens) does not stop the others.
        deps.log.warn({ err: loggableError(error), sessionId: id }, 'session secrets not sealed');
      }
    }
    if (rows.length < batch) break;
    after = rows.at(-1)!.id;
  }
  if (dropped || sealed) deps.log.info({ dropped, sealed }, 'session secrets upkeep');
  return { dropped, sealed };
}
