import type { Transaction } from '@conduit/db';
import { and, eq } from 'drizzle-orm';
import { creditBalances } from '../../db/schema.js';
import type { Subject } from '../subjects/subject.js';

/** The credit balance of a subject as the transaction's actor may see it; 0 when it has none. */
export async function creditBalanceOf(tx: Transaction, subject: Subject): Promise<number> {
  const [row] = await tx
    .select({ balance: creditBalances.balance })
    .from(creditBalances)
    .where(and(eq(creditBalances.subjectType, subject.type), eq(creditBalances.subjectId, subject.id)));
  return row?.balance ?? 0;
}
