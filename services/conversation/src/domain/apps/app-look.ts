import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { uuidv7 } from '@conduit/db';
import { and, asc, eq, notInArray } from 'drizzle-orm';
import type { z } from 'zod';
import { appAppearances, appPromptEngineeringSettings, appSettings } from '../../db/schema.js';
import type { ConversationDeps } from '../../deps.js';
import { asAppManager, loadApp } from './app-access.js';
import {
  type appearanceInput,
  defaultAppearance,
  type promptSettingsInput,
  toAppearanceDto,
  toPromptSettingsDto,
} from './app-dto.js';
import { checkAppearanceMedia } from './app-media.js';

// An app's appearance, prompt settings and key/value settings: one row (or set of rows) each,
// read by whoever may read the app and replaced by its managers.

/** Throws not_found. */
export async function getAppearance(deps: ConversationDeps, actor: Actor, appId: string) {
  return asActor(deps.db, actor, async (tx) => {
    await loadApp(tx, actor, appId, 'read');
    const [row] = await tx.select().from(appAppearances).where(eq(appAppearances.appId, appId));
    return toAppearanceDto(row);
  });
}

/**
 * Changes the fields given. A logo or avatar must be public image media the actor may see.
 * Throws not_found / forbidden, unprocessable (media), unavailable (media cannot be checked).
 */
export async function updateAppearance(
  deps: ConversationDeps,
  actor: Actor,
  appId: string,
  input: z.output<typeof appearanceInput>,
) {
  // Access first, so a stranger learns nothing of media from the app's answers.
  await asActor(deps.db, asAppManager(actor), (tx) => loadApp(tx, actor, appId, 'manage'));
  if (input.logoMediaId) await checkAppearanceMedia(deps, actor, 'logoMediaId', input.logoMediaId);
  if (input.avatarMediaId) await checkAppearanceMedia(deps, actor, 'avatarMediaId', input.avatarMediaId);
  return asActor(deps.db, asAppManager(actor), async (tx) => {
    await loadApp(tx, actor, appId, 'manage', { lock: true });
    const now = new Date();
    const changes = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
    const [row] = await tx
      .insert(appAppearances)
      .values({ ...defaultAppearance, ...changes, appId, createdAt: now, updatedAt: now })
      .onConflictDoUpdate({ target: appAppearances.appId, set: { ...changes, updatedAt: now } })
      .returning();
    return toAppearanceDto(row);
  });
}

/** Throws not_found. */
export async function getPromptSettings(deps: ConversationDeps, actor: Actor, appId: string) {
  return asActor(deps.db, actor, async (tx) => {
    await loadApp(tx, actor, appId, 'read');
    const [row] = await tx
      .select()
      .from(appPromptEngineeringSettings)
      .where(eq(appPromptEngineeringSettings.appId, appId));
    return toPromptSettingsDto(row);
  });
}

/** Changes the fields given (null clears one: the bot's own setting applies again). Throws not_found / forbidden. */
export async function updatePromptSettings(
  deps: ConversationDeps,
  actor: Actor,
  appId: string,
  input: z.output<typeof promptSettingsInput>,
) {
  return asActor(deps.db, asAppManager(actor), async (tx) => {
    await loadApp(tx, actor, appId, 'manage', { lock: true });
    const now = new Date();
    const changes = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
    const [row] = await tx
      .insert(appPromptEngineeringSettings)
      .values({ ...changes, appId, createdAt: now, updatedAt: now })
      .onConflictDoUpdate({ target: appPromptEngineeringSettings.appId, set: { ...changes, updatedAt: now } })
      .returning();
    return toPromptSettingsDto(row);
  });
}

/** The app's key/value settings, by key. Throws not_found. */
export async function getAppSettings(deps: ConversationDeps, actor: Actor, appId: string) {
  return asActor(deps.db, actor, async (tx) => {
    await loadApp(tx, actor, appId, 'read');
    const rows = await tx
      .select()
      .from(appSettings)
      .where(eq(appSettings.appId, appId))
      .orderBy(asc(appSettings.key));
    return { settings: Object.fromEntries(rows.map((row) => [row.key, row.value])) };
  });
}

/** Replaces the whole set of settings (keys not given are removed). Throws not_found / forbidden. */
export async function replaceAppSettings(
  deps: ConversationDeps,
  actor: Actor,
  appId: string,
  settings: Record<string, string>,
) {
  return asActor(deps.db, asAppManager(actor), async (tx) => {
    await loadApp(tx, actor, appId, 'manage', { lock: true });
    const keys = Object.keys(settings);
    await tx
      .delete(appSettings)
      .where(
        keys.length
          ? and(eq(appSettings.appId, appId), notInArray(appSettings.key, keys))
          : eq(appSettings.appId, appId),
      );
    const now = new Date();
    for (const [key, value] of Object.entries(settings)) {
      await tx
        .insert(appSettings)
        .values({ id: uuidv7(), appId, key, value, createdAt: now, updatedAt: now })
        .onConflictDoUpdate({ target: [appSettings.appId, appSettings.key], set: { value, updatedAt: now } });
    }
    return { settings: Object.fromEntries(Object.entries(settings).sort(([a], [b]) => a.localeCompare(b))) };
  });
}
