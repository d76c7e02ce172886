import { asActor } from '@conduit/auth';
import type { Actor, OrganizationRole } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import type { ClientInfo, IdentityDeps } from '../../deps.js';
import { createInvite } from '../invites/invites.js';
import { organizationRoleOf } from './organization-role.js';

/**
 * Invites someone by email into an organization. Owners and admins may invite; only owners may
 * invite another owner. Throws not_found for a stranger, forbidden for a member without the right.
 */
export async function inviteToOrganization(
  deps: IdentityDeps,
  actor: Actor,
  organizationId: string,
  input: { email: string; role: OrganizationRole },
  client: ClientInfo,
) {
  return asActor(deps.db, actor, async (tx) => {
    const role = actor.platformAdmin ? 'owner' : await organizationRoleOf(tx, organizationId, actor.userId);
    if (!role) throw new DomainError('not_found', 'No such organization.');
    if (role === 'member' || (input.role === 'owner' && role !== 'owner')) {
      throw new DomainError(
        'forbidden',
        'Only owners and admins invite people, and only owners invite owners.',
      );
    }
    return createInvite(tx, deps, actor, { organizationId, email: input.email, role: input.role }, client);
  });
}
