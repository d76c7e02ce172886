import { type SQL, sql } from 'drizzle-orm';
import type { PgTransactionConfig } from 'drizzle-orm/pg-core';
import type { Database, Transaction } from './client.js';
import { postgresError } from './pg-errors.js';

/** Who is acting, as row-level security policies see it (`current_setting('app.user_id')`, ...). */
export interface ActorContext {
  userId: string;
  orgId?: string | null;
  teamIds?: readonly string[];
  /** The teams whose rows the actor may change, not only read (a viewer's teams are not here). */
  writableTeamIds?: readonly string[];
  /** Holder of the platform admin role: policies may let them see every row. */
  platformAdmin?: boolean;
  /** What the actor may do in `orgId` (`app.permissions`, comma-separated), for policies that ask. */
  permissions?: readonly string[];
}

/** The row-level security settings of an actor, in the order `actorSettings` gives their values. */
const ACTOR_SETTING_NAMES = [
  'app.user_id',
  'app.org_id',
  'app.team_ids',
  'app.writable_team_ids',
  'app.platform_admin',
  'app.permissions',
] as const;

/** The actor's settings as one statement of bind parameters, `actorSettings` its values (`readWithActor`). */
export const SET_ACTOR = `select ${ACTOR_SETTING_NAMES.map((name, i) => `set_config('${name}', $${i + 1}, true)`).join(', ')}`;

/** The parameters of SET_ACTOR. */
export const actorSettings = (actor: ActorContext): string[] => [
  actor.userId,
  actor.orgId ?? '',
  (actor.teamIds ?? []).join(','),
  (actor.writableTeamIds ?? []).join(','),
  actor.platformAdmin ? 'true' : 'false',
  (actor.permissions ?? []).join(','),
];

/** SET_ACTOR as drizzle sends it in a transaction: the same settings, the same bind parameters. */
function setActor(actor: ActorContext): SQL {
  const values = actorSettings(actor);
  return sql`select ${sql.join(
    ACTOR_SETTING_NAMES.map((name, i) => sql`set_config(${sql.raw(`'${name}'`)}, ${values[i]}, true)`),
    sql`, `,
  )}`;
}

/**
 * Runs `fn` in a transaction whose row-level security context is the actor. The settings are
 * transaction-local bind parameters (set_config(..., true)), so they vanish at commit or rollback
 * and can never leak to the next user of the pooled connection. `config` sets the transaction's
 * isolation level and access mode (a reader that must see one snapshot asks for repeatable read).
 */
export function withActor<T>(
  db: Database,
  actor: ActorContext,
  fn: (tx: Transaction) => Promise<T>,
  config?: PgTransactionConfig,
): Promise<T> {
  return againOnStalePlan(() =>
    db.transaction(async (tx) => {
      // Sent without waiting: the connection runs it before the verb's first query, which goes out
      // in the same write. Should it fail, the transaction is aborted and nothing runs without it.
      const settingActor = tx.execute(setActor(actor));
      const settled = settingActor.then(
        () => undefined,
        (error: unknown) => error,
      );
      const result = await fn(tx).catch(async (error: unknown) => {
        throw (await settled) ?? error;
      });
      const failed = await settled;
      if (failed) throw failed;
      return result;
    }, config),
  );
}

/** A transaction with no actor: row-level security then shows no user-owned rows at all. */
export function withoutActor<T>(db: Database, fn: (tx: Transaction) => Promise<T>): Promise<T> {
  return againOnStalePlan(() => db.transaction(fn));
}

/**
 * Runs a transaction once more when Postgres refused one of its prepared statements because the
 * statement's result columns changed since it was prepared on that connection (a migration ran
 * while the service was up: a column added to a table read with `*`, a function's result type
 * changed). postgres.js then prepares the statement afresh, as it does by itself outside a
 * transaction; inside one, the refusal has aborted it, so it is the transaction that runs again.
 * Only that refusal: it comes before the statement did anything, and the rest of the aborted
 * transaction is rolled back. What `fn` did outside the database before it runs again.
 */
export async function againOnStalePlan<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!isStalePlan(error)) throw error;
    return run();
  }
}

function isStalePlan(error: unknown): boolean {
  const unsupported = postgresError(error, '0A000');
  return unsupported !== undefined && /cached plan must not change result type/.test(unsupported.message);
}
