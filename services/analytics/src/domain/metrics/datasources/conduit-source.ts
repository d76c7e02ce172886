import type { Transaction } from '@conduit/db';
import { uuidv7 } from '@conduit/db';
import { sql } from 'drizzle-orm';
import { CONDUIT_SCHEMA_CODE, CONDUIT_SCHEMA_NAME, conduitCubes } from '../cubes/conduit-schema.js';

/**
 * Makes sure the team has its built-in source (Conduit's analytics) and the shipped schema, once:
 * as if always present, it appears the first time any member lists the team's sources or schemas.
 * Runs in the caller's transaction (the database function checks the caller is in the team).
 */
export async function ensureConduitSource(tx: Transaction, teamId: string) {
  await tx.execute(
    sql`select analytics.ensure_conduit_metrics(${teamId}::uuid, ${uuidv7()}::uuid, ${uuidv7()}::uuid,
      ${CONDUIT_SCHEMA_NAME}, ${CONDUIT_SCHEMA_CODE}, ${JSON.stringify(conduitCubes)}::jsonb)`,
  );
}
