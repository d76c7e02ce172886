import { asActor } from '@conduit/auth';
import { appendEvent } from '@conduit/bus';
import { type Actor, identityEvents } from '@conduit/contracts';
import { uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq, sql } from 'drizzle-orm';
import { outbox, plans, userSubscriptions } from '../../db/schema.js';
import type { ClientInfo, IdentityDeps } from '../../deps.js';
import { recordActivity } from '../audit-trail/record-activity.js';
import { isPlatformAdminNow } from '../rbac/rbac-authority.js';
import { assertLiveSession } from '../sessions/live-session.js';
import type { Subject } from '../subjects/subject.js';
import { subjectOrganization } from '../subjects/subject-organization.js';
import { DEFAULT_PLAN_ID } from './get-subscription.js';
import { loadSubscriptionView, type SubscriptionView } from './subscription-view.js';

/**
 * Puts a user or a team on a plan (billing is out of scope: platform admins set plans). Counters
 * take the new plan's limits at once and keep what was used this period. A subject without a
 * subscription gets one (on the free plan, then changed). The change, its event and the audit
 * record commit together; choosing the current plan again changes nothing and records nothing.
 *
 * Throws forbidden when the caller is not a platform admin (also one whose role was taken since
 * their token was issued), not_found when the subject does not exist, and unprocessable when
 * there is no such plan.
 */
export async function changePlan(
  deps: IdentityDeps,
  actor: Actor,
  subject: Subject,
  planId: string,
  client: ClientInfo,
): Promise<SubscriptionView> {
  if (!actor.platformAdmin) throw forbidden();
  return asActor(deps.db, actor, async (tx) => {
    await assertLiveSession(tx, actor.sessionId);
    if (!(await isPlatformAdminNow(tx, actor))) throw forbidden();
    const [plan] = await tx.select({ id: plans.id }).from(plans).where(eq(plans.id, planId));
    if (!plan) throw new DomainError('unprocessable', `There is no plan "${planId}".`);
    const organizationId = await subjectOrganization(tx, subject);

    await tx.execute(
      sql`select identity.ensure_subscription(${uuidv7()}, ${subject.type}, ${subject.id}, ${DEFAULT_PLAN_ID})`,
    );
    // Locked, so that two admins changing the same plan at once report the true "from".
    const [current] = await tx
      .select({ id: userSubscriptions.id, planId: userSubscriptions.planId })
      .from(userSubscriptions)
      .where(
        and(eq(userSubscriptions.subjectType, subject.type), eq(userSubscriptions.subjectId, subject.id)),
      )
      .for('update');
    if (!current) throw notFound();

    if (current.planId !== planId) {
      await tx
        .update(userSubscriptions)
        .set({ planId, updatedAt: new Date() })
        .where(eq(userSubscriptions.id, current.id));
      await tx.execute(sql`select identity.apply_plan_limits(${current.id})`);
      const change = { subjectType: subject.type, subjectId: subject.id, from: current.planId, to: planId };
      await appendEvent(tx, outbox, identityEvents.subscriptionPlanChanged, change, {
        userId: actor.userId,
        sessionId: actor.sessionId,
        orgId: actor.orgId,
      });
      await recordActivity(tx, {
        // The trail is the subject user's to read; a team's change is the acting admin's record.
        userId: subject.type === 'user' ? subject.id : actor.userId,
        type: 'plan_changed',
        organizationId,
        client,
        metadata: { ...change, changedBy: actor.userId },
      });
    }
    const view = await loadSubscriptionView(tx, subject);
    if (!view) throw notFound();
    return view;
  });
}

const notFound = () => new DomainError('not_found', 'Not found.');
const forbidden = () => new DomainError('forbidden', 'Only platform admins change plans.');
