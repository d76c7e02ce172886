import type { Transaction } from '@conduit/db';
import { and, eq } from 'drizzle-orm';
import { organizationMembers } from '../../db/schema.js';

/**
 * The role a user holds in an organization, or undefined when they are not a member (or the
 * transaction's actor may not see that membership).
 */
export async function organizationRoleOf(
  tx: Transaction,
  organizationId: string,
  userId: string,
): Promise<string | undefined> {
  const [membership] = await tx
    .select({ role: organizationMembers.role })
    .from(organizationMembers)
    .where(
      and(eq(organizationMembers.organizationId, organizationId), eq(organizationMembers.userId, userId)),
    );
  return membership?.role;
}
