import { asActor } from '@conduit/auth';
import type { Actor, GlobalSettings } from '@conduit/contracts';
import { type Database, withoutActor } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import type { IdentityDeps } from '../../deps.js';
import { isPlatformAdminNow } from '../rbac/rbac-authority.js';
import { assertLiveSessionForRead } from '../sessions/live-session.js';
import { readGlobalSettings } from './global-settings.js';

/** What anyone may know before signing in: the site's name and whether sign-up is open. */
export async function getPublicSettings(
  deps: IdentityDeps,
): Promise<{ siteName: string; signUpOpen: boolean }> {
  const { siteName, signUpOpen } = await readSettings(deps.db);
  return { siteName, signUpOpen };
}

/** Every setting, for the services that act on them (the settings RPC); no actor. */
export const readSettings = (db: Database): Promise<GlobalSettings> =>
  withoutActor(db, (tx) => readGlobalSettings(tx));

/** Every setting, for platform admins. Throws forbidden for anyone else. */
export async function getAdminSettings(deps: IdentityDeps, actor: Actor): Promise<GlobalSettings> {
  if (!actor.platformAdmin) throw forbiddenSettings();
  return asActor(deps.db, actor, async (tx) => {
    await assertLiveSessionForRead(deps.liveSessions, tx, actor.sessionId);
    if (!(await isPlatformAdminNow(tx, actor))) throw forbiddenSettings();
    return readGlobalSettings(tx);
  });
}

export const forbiddenSettings = () =>
  new DomainError('forbidden', 'Only platform admins see and change the global settings.');
