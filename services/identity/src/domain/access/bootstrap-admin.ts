import type { Transaction } from '@conduit/db';
import { sql } from 'drizzle-orm';
import type { IdentityDeps } from '../../deps.js';

/**
 * Gives the platform admin role to the accounts whose email the operator listed in
 * PLATFORM_ADMIN_EMAILS (the first admins; later ones are granted by an admin). Idempotent.
 */
export async function grantBootstrapAdmin(
  tx: Transaction,
  deps: IdentityDeps,
  user: { id: string; email: string },
): Promise<void> {
  if (!deps.env.PLATFORM_ADMIN_EMAILS.includes(user.email.toLowerCase())) return;
  await tx.execute(sql`select identity.grant_platform_admin(${user.id})`);
}
