import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';

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
  const db = drizzle(sql);
  return { sql, db, close: () => sql.end({ timeout: 5 }) };
}
