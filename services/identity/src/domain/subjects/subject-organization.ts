import type { Transaction } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { eq } from 'drizzle-orm';
import { teams, users } from '../../db/schema.js';
import type { Subject } from './subject.js';

/**
 * The organization of a usage subject, as the transaction's actor may see it (for audit records);
 * throws not_found when it does not exist or is hidden.
 */
export async function subjectOrganization(tx: Transaction, subject: Subject): Promise<string> {
  const table = subject.type === 'user' ? users : teams;
  const [row] = await tx
    .select({ organizationId: table.organizationId })
    .from(table)
    .where(eq(table.id, subject.id));
  if (!row) throw new DomainError('not_found', `No such ${subject.type}.`);
  return row.organizationId;
}
