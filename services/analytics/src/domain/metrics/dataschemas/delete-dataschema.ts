import type { Actor } from '@conduit/contracts';
import { eq } from 'drizzle-orm';
import { dataschemas } from '../../../db/schema.js';
import type { AnalyticsDeps } from '../../../deps.js';
import { asViewer } from '../../access/viewer-scope.js';
import { findDataschema } from './find-dataschema.js';

/** Deletes a data schema with its versions and explorations. Throws not_found / forbidden as findDataschema does. */
export async function deleteDataschema(deps: AnalyticsDeps, actor: Actor, id: string) {
  await asViewer(deps.db, actor, async (tx) => {
    await findDataschema(tx, actor, id, 'manage');
    await tx.delete(dataschemas).where(eq(dataschemas.id, id));
  });
}
