import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { sql } from 'drizzle-orm';
import type { IdentityDeps } from '../../deps.js';
import { assertLiveSessionForRead } from '../sessions/live-session.js';
import { loadSubscriptionView, type SubscriptionView } from './subscription-view.js';

/** The plan a subscription is made on before an admin's change of plan replaces it. */
export const DEFAULT_PLAN_ID = 'free';

/**
 * The caller's own plan, current period and usage. A caller who has no subscription yet is put
 * on the default plan first (every account is meant to have one; this mends any that does not).
 */
export async function getMySubscription(deps: IdentityDeps, actor: Actor): Promise<SubscriptionView> {
  return asActor(deps.db, actor, async (tx) => {
    await assertLiveSessionForRead(deps.liveSessions, tx, actor.sessionId);
    const subject = { type: 'user', id: actor.userId } as const;
    let view = await loadSubscriptionView(tx, subject);
    if (!view) {
      await tx.execute(
        sql`select identity.ensure_subscription(${uuidv7()}, 'user', ${actor.userId}, identity.default_plan_id())`,
      );
      view = await loadSubscriptionView(tx, subject);
    }
    if (!view) throw new DomainError('not_found', 'This account has no subscription.');
    return view;
  });
}

/**
 * A team's plan, current period and usage. Throws not_found unless the caller is a member of the
 * team (or a platform admin): row-level security hides the subscriptions of other teams, so a
 * stranger cannot tell a team that exists from one that does not.
 */
export async function getTeamSubscription(
  deps: IdentityDeps,
  actor: Actor,
  teamId: string,
): Promise<SubscriptionView> {
  return asActor(deps.db, actor, async (tx) => {
    await assertLiveSessionForRead(deps.liveSessions, tx, actor.sessionId);
    const view = await loadSubscriptionView(tx, { type: 'team', id: teamId });
    if (!view) throw new DomainError('not_found', 'No such team.');
    return view;
  });
}
