import { migrate, runtimeUrl } from '@conduit/db';
import postgres from 'postgres';
import { localServices } from './local-services.js';
import { uniqueName } from './names.js';

export interface TestDatabase {
  /** The owner connection (migrations, test set-up that must see everything). */
  adminUrl: string;
  /** The service's runtime role connection: what the service really uses, under row-level security. */
  appUrl: string;
  drop(): Promise<void>;
}

/**
 * Creates an empty database of its own for one test file on the machine's real Postgres, applies
 * the given service migrations, and drops it afterwards.
 */
export async function createTestDatabase(
  services: { schema: string; migrationsDir: string }[],
): Promise<TestDatabase> {
  const name = uniqueName('conduit_test');
  const admin = postgres(localServices.adminDatabaseUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  await admin.end();
  const url = new URL(localServices.adminDatabaseUrl);
  url.pathname = `/${name}`;
  const adminUrl = url.toString();
  for (const service of services) await migrate({ adminUrl, ...service });
  return {
    adminUrl,
    appUrl: runtimeUrl(adminUrl, services[0]?.schema ?? 'public'),
    async drop() {
      const sql = postgres(localServices.adminDatabaseUrl, { max: 1, onnotice: () => {} });
      await sql.unsafe(`drop database if exists "${name}" with (force)`);
      await sql.end();
    },
  };
}
