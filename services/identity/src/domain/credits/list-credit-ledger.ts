import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { keysetPage, type PageRequest } from '@conduit/db';
import { and, eq } from 'drizzle-orm';
import { creditLedger } from '../../db/schema.js';
import type { IdentityDeps } from '../../deps.js';
import { assertLiveSessionForRead } from '../sessions/live-session.js';

const toLedgerEntryDto = (row: typeof creditLedger.$inferSelect) => ({
  id: row.id,
  kind: row.kind as 'top_up' | 'spend' | 'release',
  amount: row.amount,
  reason: row.reason,
  reservationId: row.reservationId,
  createdAt: row.createdAt.toISOString(),
});

/**
 * The caller's credit ledger, newest first: top-ups (with the admin's reason), what AI usage drew
 * from the balance and what came back. Entries' ids are uuidv7, so id order is time order. Who
 * topped up is not shown. Throws bad_request for a bad cursor.
 */
export async function listMyCreditLedger(deps: IdentityDeps, actor: Actor, query: PageRequest) {
  return asActor(deps.db, actor, async (tx) => {
    await assertLiveSessionForRead(deps.liveSessions, tx, actor.sessionId);
    const page = keysetPage({ by: [creditLedger.id], order: 'desc' }, query);
    const rows = await tx
      .select({
        id: creditLedger.id,
        subjectType: creditLedger.subjectType,
        subjectId: creditLedger.subjectId,
        kind: creditLedger.kind,
        amount: creditLedger.amount,
        reason: creditLedger.reason,
        reservationId: creditLedger.reservationId,
        createdBy: creditLedger.createdBy,
        createdAt: creditLedger.createdAt,
        pageKey: page.key,
      })
      .from(creditLedger)
      .where(and(eq(creditLedger.subjectType, 'user'), eq(creditLedger.subjectId, actor.userId), page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, toLedgerEntryDto);
  });
}
