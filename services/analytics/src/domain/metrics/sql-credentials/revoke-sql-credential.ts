import type { Actor } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import { eq } from 'drizzle-orm';
import { sqlCredentials } from '../../../db/delivery-schema.js';
import type { AnalyticsDeps } from '../../../deps.js';
import { asViewer } from '../../access/viewer-scope.js';
import { checkTeamAccess } from '../team-access.js';
import { loginRoles } from './login-roles.js';

/**
 * Revokes a credential: its role stops taking logins, its sessions end, the role is dropped, and
 * the row goes in the same transaction (a role dropped whose row stayed would be retried; a row
 * gone whose role stayed would see nothing, its team being the row). Throws not_found for one the
 * actor cannot see, forbidden for a member who does not manage the team.
 */
export async function revokeSqlCredential(deps: AnalyticsDeps, actor: Actor, id: string) {
  await asViewer(deps.db, actor, async (tx) => {
    const [seen] = await tx.select().from(sqlCredentials).where(eq(sqlCredentials.id, id));
    if (!seen) throw new DomainError('not_found', 'Not found.');
    checkTeamAccess(actor, seen.teamId, 'manage', 'SQL credential');
    // Deleting first holds the row until commit, so two revokes do not both drop the role.
    const [row] = await tx.delete(sqlCredentials).where(eq(sqlCredentials.id, id)).returning();
    if (!row) throw new DomainError('not_found', 'Not found.');
    await loginRoles(deps.env.SERVICE_DATABASE_URL).drop(row.username);
  });
}
