import { type ActorContext, type Database, withActor } from '@conduit/db';
import type { SecretBox } from '@conduit/secrets';
import { eq } from 'drizzle-orm';
import { workflowCredentials } from '../../db/schema.js';
import { type CredentialSecret, credentialSecret } from './credential-secret.js';

/**
 * A credential's secret, for the workflow's owner acting (row-level security decides whether it
 * is theirs to use). Undefined when it is gone or not theirs.
 */
export async function openCredential(
  deps: { db: Database; box: SecretBox },
  owner: ActorContext,
  credentialId: string,
): Promise<CredentialSecret | undefined> {
  const [row] = await withActor(deps.db, owner, (tx) =>
    tx
      .select({ sealed: workflowCredentials.sealed })
      .from(workflowCredentials)
      .where(eq(workflowCredentials.id, credentialId)),
  );
  if (!row) return undefined;
  return credentialSecret.parse(JSON.parse(deps.box.decrypt(row.sealed, credentialId)));
}
