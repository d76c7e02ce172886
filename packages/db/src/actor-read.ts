import { drizzle } from 'drizzle-orm/postgres-js';
import type postgres from 'postgres';
import { type ActorContext, actorSettings, againOnStalePlan, SET_ACTOR } from './actor-transaction.js';
import { type Database, preparingStatements } from './client.js';

/**
 * What a read sends its statements through: drizzle, or for a hot path postgres.js itself
 * (`sql`, whose tagged statements are prepared; no builder runs per call). Both are the
 * transaction's connection.
 */
export type ActorRead<T> = (tx: Database, sql: postgres.Sql) => Promise<T>;

/**
 * Reads as the actor in one round trip to Postgres. `BEGIN READ ONLY`, the actor's settings, the
 * statements `read` sends and `COMMIT` go out together on a connection reserved for the call
 * (postgres.js pipelines statements sent without waiting), where `withActor` waits for `BEGIN`,
 * then for the reads, then for `COMMIT`: three round trips. Row-level security applies exactly as
 * in `withActor` (the same transaction-local settings, sent as bind parameters before the reads).
 *
 * The contract of `read`: send every statement before awaiting any of them (one query, or several
 * in a `Promise.all`), since `COMMIT` is queued once `read` has started them. A statement sent
 * after that is refused with an error, never run outside the transaction; a statement that writes
 * is refused by Postgres (the transaction is read-only). For work that reads, then decides what to
 * read next, or writes, use `withActor`.
 */
export function readWithActor<T>(db: Database, actor: ActorContext, read: ActorRead<T>): Promise<T> {
  // drizzle keeps the client it was made with (createDatabase's pool) as `$client`.
  const pool = (db as Database & { $client: postgres.Sql }).$client;
  return againOnStalePlan(() => readOnce(pool, actor, read));
}

async function readOnce<T>(pool: postgres.Sql, actor: ActorContext, read: ActorRead<T>): Promise<T> {
  const connection = await pool.reserve();
  let open = true;
  try {
    const begin = connection.unsafe('begin read only').execute();
    const settings = connection.unsafe(SET_ACTOR, actorSettings(actor), { prepare: true }).execute();
    const scope = whileOpen(preparingStatements(connection), pool.options, () => open);
    const reading = (async () => read(drizzle(scope), scope))();
    // Every outcome is awaited below; until then a failure must not count as unhandled.
    const started = Promise.allSettled([begin, settings, reading]);
    // By the next turn of the event loop every statement `read` sent without awaiting has reached
    // the connection (postgres.js hands a query over a microtask after it is awaited), so COMMIT
    // goes after them, in the same write or the next, never waiting for their answers.
    await new Promise((resolve) => setImmediate(resolve));
    open = false;
    // In a transaction a failed statement aborted, Postgres answers COMMIT with a rollback.
    const commit = connection.unsafe('commit').execute();
    const [[began, set, result], committed] = await Promise.all([started, Promise.allSettled([commit])]);
    if (began.status === 'rejected') throw began.reason;
    if (set.status === 'rejected') throw set.reason;
    if (result.status === 'rejected') throw result.reason;
    if (committed[0].status === 'rejected') throw committed[0].reason;
    return result.value;
  } finally {
    connection.release();
  }
}

/**
 * The connection as `read` sees it: refusing statements once COMMIT is on its way, and with the
 * pool's options, which drizzle reads (a reserved connection has none of its own).
 */
function whileOpen(
  connection: postgres.Sql,
  options: postgres.Sql['options'],
  isOpen: () => boolean,
): postgres.Sql {
  const refuse = () => {
    throw new Error(
      'readWithActor: a statement was sent after the read had begun awaiting; send every statement first, or use withActor',
    );
  };
  return new Proxy(connection, {
    apply(target, thisArgument, args) {
      if (!isOpen()) refuse();
      return Reflect.apply(target, thisArgument, args);
    },
    get(target, property, receiver) {
      if (property === 'options') return options;
      if (property === 'unsafe' && !isOpen()) return refuse;
      return Reflect.get(target, property, receiver);
    },
  });
}
