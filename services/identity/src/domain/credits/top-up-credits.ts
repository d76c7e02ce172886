import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { sql } from 'drizzle-orm';
import { creditBalances, creditLedger } from '../../db/schema.js';
import type { ClientInfo, IdentityDeps } from '../../deps.js';
import { recordActivity } from '../audit-trail/record-activity.js';
import { isPlatformAdminNow } from '../rbac/rbac-authority.js';
import { assertLiveSession } from '../sessions/live-session.js';
import type { Subject } from '../subjects/subject.js';
import { subjectOrganization } from '../subjects/subject-organization.js';

export interface TopUp {
  /** Whole AI credits to add, at least 1. */
  amount: number;
  /** Why (an order number, a goodwill gesture), kept in the ledger and the audit trail. */
  reason: string;
}

export interface CreditBalanceView {
  subject: Subject;
  balance: number;
  /** The ledger row of this top-up. */
  entryId: string;
}

/**
 * Adds AI credits to a user's or team's balance (platform admins only): the balance row is locked
 * by the upsert, the ledger row written beside it and the audit record in the same transaction,
 * so the balance stays the sum of the ledger.
 *
 * Throws forbidden unless the caller is (still) a platform admin, not_found when the subject does
 * not exist.
 */
export async function topUpCredits(
  deps: IdentityDeps,
  actor: Actor,
  subject: Subject,
  topUp: TopUp,
  client: ClientInfo,
): Promise<CreditBalanceView> {
  if (!actor.platformAdmin) throw forbidden();
  return asActor(deps.db, actor, async (tx) => {
    await assertLiveSession(tx, actor.sessionId);
    if (!(await isPlatformAdminNow(tx, actor))) throw forbidden();
    const organizationId = await subjectOrganization(tx, subject);
    const [row] = await tx
      .insert(creditBalances)
      .values({ subjectType: subject.type, subjectId: subject.id, balance: topUp.amount })
      .onConflictDoUpdate({
        target: [creditBalances.subjectType, creditBalances.subjectId],
        set: { balance: sql`${creditBalances.balance} + ${topUp.amount}`, updatedAt: new Date() },
      })
      .returning({ balance: creditBalances.balance });
    const entryId = uuidv7();
    await tx.insert(creditLedger).values({
      id: entryId,
      subjectType: subject.type,
      subjectId: subject.id,
      kind: 'top_up',
      amount: topUp.amount,
      reason: topUp.reason,
      createdBy: actor.userId,
    });
    await recordActivity(tx, {
      // The trail is the subject user's to read; a team's top-up is the acting admin's record.
      userId: subject.type === 'user' ? subject.id : actor.userId,
      type: 'credits_topped_up',
      organizationId,
      client,
      metadata: {
        subjectType: subject.type,
        subjectId: subject.id,
        amount: topUp.amount,
        reason: topUp.reason,
        balance: row!.balance,
        toppedUpBy: actor.userId,
      },
    });
    return { subject, balance: row!.balance, entryId };
  });
}

const forbidden = () => new DomainError('forbidden', 'Only platform admins top up credits.');
