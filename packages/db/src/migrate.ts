import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import postgres from 'postgres';

export interface MigrateOptions {
  /** A connection with the right to create schemas and roles (the owner); never used at runtime. */
  adminUrl: string;
  schema: string;
  /** Folder of `NNNN_name.sql` files, applied in name order. */
  migrationsDir: string;
  /** Password given to the runtime role; empty with trust auth. */
  appPassword?: string | undefined;
  log?: (message: string) => void;
}

/** The runtime role of a schema: owns nothing, cannot bypass row-level security. */
export const appRoleName = (schema: string) => `${schema}_app`;

/** The runtime connection URL: the admin URL with the service's own role as its user. */
export function runtimeUrl(adminUrl: string, schema: string, appPassword?: string): string {
  const url = new URL(adminUrl);
  url.username = appRoleName(schema);
  url.password = appPassword ?? '';
  return url.toString();
}

const duplicateObject = (error: unknown) =>
  ['42710', '23505'].includes((error as { code?: string }).code ?? '');

/**
 * Applies a service's pending migrations: forward-only, each file once, in its own transaction,
 * under an advisory lock so that a service and its worker starting together do not race. Safe to
 * run any number of times. It also makes sure the runtime role exists and gets plain DML rights on
 * every table the migrations create (what a migration revokes later stays revoked).
 */
export async function migrate(options: MigrateOptions): Promise<string[]> {
  const { schema } = options;
  const role = appRoleName(schema);
  const sql = postgres(options.adminUrl, { max: 1, onnotice: () => {} });
  try {
    await sql`select pg_advisory_lock(hashtext(${'conduit.migrate.' + schema}))`;
    await ensureRuntimeRole(sql, role, options.appPassword);
    await sql`create schema if not exists ${sql(schema)}`;
    await sql`grant usage on schema ${sql(schema)} to ${sql(role)}`;
    await sql`alter default privileges in schema ${sql(schema)} grant select, insert, update, delete on tables to ${sql(role)}`;
    await sql`alter default privileges in schema ${sql(schema)} grant usage, select on sequences to ${sql(role)}`;
    await sql`create table if not exists ${sql(schema)}.__migrations (
      name text primary key, sha256 text not null, applied_at timestamptz not null default now())`;

    const applied = new Map(
      (await sql`select name, sha256 from ${sql(schema)}.__migrations`).map((r) => [r.name, r.sha256]),
    );
    const files = (await readdir(options.migrationsDir)).filter((f) => f.endsWith('.sql')).sort();
    const ran: string[] = [];
    for (const file of files) {
      const text = await readFile(join(options.migrationsDir, file), 'utf8');
      const sha256 = createHash('sha256').update(text).digest('hex');
      const done = applied.get(file);
      if (done !== undefined) {
        if (done !== sha256)
          options.log?.(`migration ${schema}/${file} changed after it was applied; not re-run`);
        continue;
      }
      await sql.begin(async (tx) => {
        await tx`select set_config('search_path', ${schema + ',public'}, true)`;
        await tx.unsafe(text);
        await tx`insert into ${sql(schema)}.__migrations (name, sha256) values (${file}, ${sha256})`;
      });
      options.log?.(`applied migration ${schema}/${file}`);
      ran.push(file);
    }
    return ran;
  } finally {
    await sql`select pg_advisory_unlock(hashtext(${'conduit.migrate.' + schema}))`.catch(() => {});
    await sql.end({ timeout: 5 });
  }
}

async function ensureRuntimeRole(sql: postgres.Sql, role: string, password: string | undefined) {
  const [existing] = await sql`select 1 from pg_roles where rolname = ${role}`;
  if (!existing) {
    // Roles are cluster-wide and advisory locks are per database: two databases may race here.
    await sql`create role ${sql(role)} login nosuperuser nocreatedb nocreaterole nobypassrls`.catch(
      (error) => {
        if (!duplicateObject(error)) throw error;
      },
    );
  }
  if (password) await sql.unsafe(`alter role "${role}" password '${password.replace(/'/g, "''")}'`);
}
