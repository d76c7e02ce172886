import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { asc, sql } from 'drizzle-orm';
import { plans } from '../../db/schema.js';
import type { IdentityDeps } from '../../deps.js';
import { assertLiveSessionForRead } from '../sessions/live-session.js';

export interface PlanView {
  id: string;
  name: string;
  /** Metric -> monthly limit. */
  limits: Record<string, number>;
}

/** Every plan with its monthly limits, smallest first; any signed-in user may read them. */
export async function listPlans(deps: IdentityDeps, actor: Actor): Promise<{ items: PlanView[] }> {
  return asActor(deps.db, actor, async (tx) => {
    await assertLiveSessionForRead(deps.liveSessions, tx, actor.sessionId);
    const rows = await tx
      .select()
      .from(plans)
      .orderBy(sql`(${plans.limits}->>'executions')::numeric nulls last`, asc(plans.id));
    return {
      items: rows.map((row) => ({
        id: row.id,
        name: row.name,
        limits: row.limits as Record<string, number>,
      })),
    };
  });
}
