import type postgres from 'postgres';
import { postgresError } from './pg-errors.js';

/** A transaction's connection as the code in it sees it: postgres.js's, with savepoints. */
export type TransactionScope = postgres.Sql & {
  savepoint<T>(fn: (scope: TransactionScope) => T | Promise<T>): Promise<T>;
  savepoint<T>(name: string, fn: (scope: TransactionScope) => T | Promise<T>): Promise<T>;
};

/**
 * postgres.js's `sql.begin`, without the round trip that carries only BEGIN. postgres.js sends
 * BEGIN and waits for its answer before the transaction's first statement; here BEGIN goes out in
 * the same write as that statement, on a connection reserved for the transaction (postgres.js
 * pipelines what is sent to one connection without waiting). Postgres runs them in order, so the
 * statements still run inside the transaction. Otherwise the transaction behaves as postgres.js's:
 * it commits when `fn` resolves and rolls back when it rejects; it ends with the first statement
 * that failed even when `fn` caught that failure (Postgres would answer COMMIT with a rollback);
 * savepoints nest. `options` are BEGIN's (`read only`, an isolation level).
 *
 * A postgres.js statement `fn` started (`.execute()`) and did not await goes before COMMIT, in the
 * same write: a last write whose answer nobody reads need not cost a round trip of its own (the
 * statement reaches the connection a microtask after it starts, before `fn`'s result reaches
 * this function). Should it fail, the transaction is rolled back (Postgres answers COMMIT so) and
 * rejects with its failure. A drizzle statement passes through more promises on its way to the
 * connection: await it.
 */
export async function beginPipelined<T>(
  pool: postgres.Sql,
  options: string,
  fn: (scope: TransactionScope) => T | Promise<T>,
): Promise<T> {
  const connection = await pool.reserve();
  try {
    let savepoints = 0;
    const run = async <R>(
      fn: (scope: TransactionScope) => R | Promise<R>,
      savepoint?: string,
    ): Promise<R> => {
      let firstFailure: unknown;
      const scope = watchingFailures(
        connection,
        (error) => {
          firstFailure ??= error;
        },
        (...args: unknown[]) => {
          const inner = args.pop() as (scope: TransactionScope) => unknown;
          const name = `s${savepoints++}${typeof args[0] === 'string' ? `_${args[0].replace(/\W/g, '')}` : ''}`;
          return run(inner, name);
        },
      );
      // Not awaited: it reaches the connection before the first statement of `fn`, in the same write.
      void scope
        .unsafe(savepoint ? `savepoint ${savepoint}` : `begin ${options.replace(/[^a-z ]/gi, '')}`)
        .execute();
      let result: R;
      try {
        const value = fn(scope);
        result = (await (Array.isArray(value) ? Promise.all(value) : value)) as R;
        if (firstFailure !== undefined) throw firstFailure;
      } catch (error) {
        await connection.unsafe(savepoint ? `rollback to ${savepoint}` : 'rollback');
        // "current transaction is aborted" says less than the failure that aborted it.
        throw (isAbortedTransaction(error) && firstFailure) || error;
      }
      if (savepoint) return result;
      await connection.unsafe('commit');
      // A statement sent without waiting that failed: its answer came before COMMIT's.
      if (firstFailure !== undefined) throw firstFailure;
      return result;
    };
    return await run(fn);
  } finally {
    connection.release();
  }
}

/**
 * The reserved connection, telling `onFailure` of each of its statements that fails once sent (as
 * postgres.js's own transaction scope does). A statement is watched when it is sent, not when it
 * is written: a tagged statement may be a fragment of another and never sent on its own.
 */
function watchingFailures(
  connection: postgres.ReservedSql,
  onFailure: (error: unknown) => void,
  savepoint: (...args: unknown[]) => Promise<unknown>,
): TransactionScope {
  const watch = <Q>(query: Q): Q => {
    // postgres.js hands a statement to its connection through the statement's `handler` when it is
    // first awaited or executed.
    const sent = query as { handler?: (query: Promise<unknown>) => void };
    const send = sent.handler;
    if (typeof send === 'function')
      sent.handler = (query) => {
        query.catch(onFailure);
        send(query);
      };
    return query;
  };
  return new Proxy(connection, {
    apply: (target, thisArgument, args) => watch(Reflect.apply(target, thisArgument, args)),
    get(target, property, receiver) {
      if (property === 'unsafe')
        return (...args: Parameters<postgres.Sql['unsafe']>) => watch(target.unsafe(...args));
      if (property === 'savepoint') return savepoint;
      return Reflect.get(target, property, receiver);
    },
  }) as unknown as TransactionScope;
}

/** Postgres's "current transaction is aborted", also as the cause of drizzle's error. */
const isAbortedTransaction = (error: unknown): boolean => postgresError(error, '25P02') !== undefined;
