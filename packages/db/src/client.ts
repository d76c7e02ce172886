import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { beginPipelined } from './pipelined-transaction.js';

export type Database = PostgresJsDatabase<Record<string, unknown>>;
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

export interface DatabaseClient {
  /** The raw postgres.js client, for LISTEN and hand-written SQL. */
  sql: postgres.Sql;
  db: Database;
  close(): Promise<void>;
}

/** One pooled connection to a service's database. Notices are dropped: they are not errors. */
export function createDatabase(
  url: string,
  options: { max?: number; applicationName?: string } = {},
): DatabaseClient {
  const sql = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    connection: { application_name: options.applicationName ?? 'conduit' },
  });
  const db = drizzle(preparingStatements(sql));
  return { sql, db, close: () => sql.end({ timeout: 5 }) };
}

/**
 * Marks a statement whose text varies without bound (one built from what users write, such as a
 * metrics query): sent unprepared, so that each connection does not keep every variant.
 */
export const UNPREPARED = '/* unprepared */ ';

/**
 * Statements with many parameters are multi-row inserts and long `in` lists, whose text changes
 * with the count of rows or values: each count would be a statement of its own on every connection.
 */
const MAX_PREPARED_PARAMETERS = 64;

const worthPreparing = (query: string, parameters: number) =>
  parameters <= MAX_PREPARED_PARAMETERS && !query.startsWith(UNPREPARED);

/**
 * The client as drizzle should see it: every statement it sends is a prepared statement, in the
 * transactions and savepoints it opens too. drizzle sends its queries through `unsafe` unprepared
 * (unless each is named), and postgres.js then asks Postgres to parse and describe a parameterized
 * statement in one round trip and to run it in a second, planning it afresh each time, row-level
 * security policies and all. Prepared, a statement costs one round trip after its first use on a
 * connection, and Postgres may keep a generic plan for it: half the database's CPU per workflow
 * execution (docs/benchmarks.md). postgres.js keeps one statement per distinct text and types on
 * each connection until the connection is recycled (max_lifetime: 30-60 minutes), so statements
 * whose text varies without bound are left unprepared (see worthPreparing).
 *
 * Its transactions send BEGIN with their first statement instead of waiting for it alone
 * (`beginPipelined`): drizzle's `transaction` opens them through the client's `begin`.
 */
export function preparingStatements(sql: postgres.Sql): postgres.Sql {
  const wrapScope =
    (open: (...args: unknown[]) => unknown) =>
    (...args: unknown[]) => {
      const fn = args.pop() as (scope: postgres.Sql) => unknown;
      return open(...args, (scope: postgres.Sql) => fn(preparingStatements(scope)));
    };
  return new Proxy(sql, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      if (property === 'unsafe')
        return (query: string, args?: unknown[], options?: object) =>
          target.unsafe(query, args as postgres.ParameterOrJSON<never>[], {
            ...options,
            prepare: worthPreparing(query, args?.length ?? 0),
          });
      if (property === 'begin')
        return wrapScope((...args: unknown[]) => {
          const fn = args.pop() as (scope: postgres.Sql) => unknown;
          return beginPipelined(target, typeof args[0] === 'string' ? args[0] : '', fn);
        });
      if (property === 'savepoint') return wrapScope(value.bind(target));
      return value.bind(target);
    },
  });
}
