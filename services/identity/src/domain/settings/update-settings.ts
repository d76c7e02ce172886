import { asActor } from '@conduit/auth';
import { appendEvent } from '@conduit/bus';
import { type Actor, type GlobalSettings, identityEvents } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import { eq, sql } from 'drizzle-orm';
import { globalSettings, outbox, plans } from '../../db/schema.js';
import type { ClientInfo, IdentityDeps } from '../../deps.js';
import { recordActivity } from '../audit-trail/record-activity.js';
import { isPlatformAdminNow } from '../rbac/rbac-authority.js';
import { assertLiveSession } from '../sessions/live-session.js';
import { forbiddenSettings } from './get-settings.js';
import { readGlobalSettings, SETTING_KEYS, SETTING_NAMES } from './global-settings.js';

/**
 * Replaces the global settings (platform admins only). The settings that differ are written, the
 * change (each setting's previous and new value) is recorded in the acting admin's audit trail and
 * identity.settings.changed is put in the outbox, all in one transaction; settings equal to the
 * current ones change nothing and record nothing.
 *
 * Throws forbidden unless the caller is (still) a platform admin, unprocessable when the default
 * plan names no plan.
 */
export async function updateGlobalSettings(
  deps: IdentityDeps,
  actor: Actor,
  next: GlobalSettings,
  client: ClientInfo,
): Promise<GlobalSettings> {
  if (!actor.platformAdmin) throw forbiddenSettings();
  return asActor(deps.db, actor, async (tx) => {
    await assertLiveSession(tx, actor.sessionId);
    if (!(await isPlatformAdminNow(tx, actor))) throw forbiddenSettings();
    const [plan] = await tx.select({ id: plans.id }).from(plans).where(eq(plans.id, next.defaultPlan));
    if (!plan) throw new DomainError('unprocessable', `There is no plan "${next.defaultPlan}".`);

    const current = await readGlobalSettings(tx, { lock: true });
    const changed = SETTING_NAMES.filter((name) => current[name] !== next[name]);
    if (changed.length === 0) return current;
    for (const name of changed) {
      // As JSON text: a null default model is JSON null, not SQL NULL.
      const value = sql`${JSON.stringify(next[name])}::jsonb`;
      await tx
        .insert(globalSettings)
        .values({ key: SETTING_KEYS[name], value, updatedBy: actor.userId })
        .onConflictDoUpdate({
          target: globalSettings.key,
          set: { value, updatedBy: actor.userId, updatedAt: new Date() },
        });
    }
    await recordActivity(tx, {
      userId: actor.userId,
      type: 'settings_changed',
      organizationId: actor.orgId,
      client,
      metadata: {
        changes: Object.fromEntries(changed.map((name) => [name, { from: current[name], to: next[name] }])),
      },
    });
    await appendEvent(tx, outbox, identityEvents.settingsChanged, { changed, settings: next }, actor);
    return next;
  });
}
