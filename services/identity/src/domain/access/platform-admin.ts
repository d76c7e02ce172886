import type { Transaction } from '@conduit/db';
import { and, eq } from 'drizzle-orm';
import { roleUser } from '../../db/schema.js';
import { PLATFORM_ADMIN_ROLE_ID } from './load-access.js';

/**
 * Whether the user holds the platform admin role now. The token says admin for up to its
 * lifetime; a revoked admin must lose the admin's powers at once, so admin verbs ask again.
 */
export async function isStillPlatformAdmin(tx: Transaction, userId: string): Promise<boolean> {
  const [held] = await tx
    .select({ roleId: roleUser.roleId })
    .from(roleUser)
    .where(and(eq(roleUser.userId, userId), eq(roleUser.roleId, PLATFORM_ADMIN_ROLE_ID)));
  return held !== undefined;
}
