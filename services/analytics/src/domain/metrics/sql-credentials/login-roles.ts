import postgres from 'postgres';

/** The group role every BI login is in; its policies show a login only its own team (0008). */
const BI_GROUP = 'analytics_bi';
const USERNAME = /^bi_[0-9a-f]{20}$/;
const VERIFIER = /^SCRAM-SHA-256\$\d+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/;

/**
 * Creating and dropping a LOGIN role needs the owner connection (the service's migration URL);
 * the runtime role cannot, by design. This module is the only place that opens it outside
 * migrations, for one statement batch at a time. Role statements take no bind parameters, so
 * every value is checked against a strict pattern before it is written into one.
 */
export interface LoginRoles {
  create(role: { username: string; verifier: string; connectionLimit: number }): Promise<void>;
  /** Stops new logins, ends the role's sessions and drops it; nothing when it is already gone. */
  drop(username: string): Promise<void>;
}

function checked(username: string) {
  if (!USERNAME.test(username)) throw new Error('not a BI login name');
  return username;
}

export function loginRoles(adminUrl: string): LoginRoles {
  const withOwner = async <T>(fn: (sql: postgres.Sql) => Promise<T>) => {
    const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
    try {
      return await fn(sql);
    } finally {
      await sql.end({ timeout: 5 });
    }
  };
  return {
    create: ({ username, verifier, connectionLimit }) =>
      withOwner(async (sql) => {
        if (!VERIFIER.test(verifier)) throw new Error('not a SCRAM verifier');
        const limit = Math.trunc(connectionLimit);
        const role = checked(username);
        await sql.begin(async (tx) => {
          await tx.unsafe(
            `create role ${role} login password '${verifier}' connection limit ${limit} in role ${BI_GROUP}`,
          );
          // Read-only by privileges: it is granted nothing but SELECT, and no temporary tables
          // (0011). These are only a session's defaults, which the session may change (SET); they
          // spare a well-behaved BI tool a runaway query, they bound nothing.
          await tx.unsafe(`alter role ${role} set default_transaction_read_only = on`);
          await tx.unsafe(`alter role ${role} set statement_timeout = '60s'`);
          await tx.unsafe(`alter role ${role} set search_path = analytics`);
        });
      }),
    drop: (username) =>
      withOwner(async (sql) => {
        const role = checked(username);
        const [exists] = await sql`select 1 from pg_roles where rolname = ${role}`;
        if (!exists) return;
        await sql.unsafe(`alter role ${role} nologin connection limit 0`);
        await sql`select pg_terminate_backend(pid) from pg_stat_activity where usename = ${role}`;
        await sql.unsafe(`drop role if exists ${role}`);
      }),
  };
}
