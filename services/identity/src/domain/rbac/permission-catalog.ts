import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { asc } from 'drizzle-orm';
import { permissionsTable } from '../../db/schema.js';
import type { IdentityDeps } from '../../deps.js';

/** Every permission a role or a direct grant can carry, with what it allows. */
export async function listPermissions(deps: IdentityDeps, actor: Actor) {
  return asActor(deps.db, actor, async (tx) => {
    const items = await tx
      .select({ name: permissionsTable.name, description: permissionsTable.description })
      .from(permissionsTable)
      .orderBy(asc(permissionsTable.name));
    return { items };
  });
}
