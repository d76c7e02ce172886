import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { eq } from 'drizzle-orm';
import { customizationPreferences, themeSettings, userPreferences } from '../../db/schema.js';
import type { WorkspaceDeps } from '../../deps.js';

// A user's three settings rows: read as their defaults until first written, replaced whole by a
// PUT (what a PUT leaves out takes its default), each one row per user.

type PreferencesRow = typeof userPreferences.$inferSelect;
type ThemeRow = typeof themeSettings.$inferSelect;
type CustomizationRow = typeof customizationPreferences.$inferSelect;

export interface PreferencesInput {
  preferredModel: string | null;
  systemPrompt: string | null;
}
export interface ThemeInput {
  mode: ThemeRow['mode'];
  accentColor: string | null;
  fontSize: ThemeRow['fontSize'];
  custom: Record<string, unknown>;
}
export interface CustomizationInput {
  showTimestamps: boolean;
  showModelNames: boolean;
  compactMode: boolean;
  sendOnEnter: boolean;
  features: Record<string, unknown>;
}

const updatedAt = (row: { updatedAt: Date } | undefined) => row?.updatedAt.toISOString() ?? null;

export const preferencesDto = (row: PreferencesRow | undefined) => ({
  preferredModel: row?.preferredModel ?? null,
  systemPrompt: row?.systemPrompt ?? null,
  updatedAt: updatedAt(row),
});

export const themeDto = (row: ThemeRow | undefined) => ({
  mode: row?.mode ?? 'system',
  accentColor: row?.accentColor ?? null,
  fontSize: row?.fontSize ?? 'medium',
  custom: row?.custom ?? {},
  updatedAt: updatedAt(row),
});

export const customizationDto = (row: CustomizationRow | undefined) => ({
  showTimestamps: row?.showTimestamps ?? true,
  showModelNames: row?.showModelNames ?? true,
  compactMode: row?.compactMode ?? false,
  sendOnEnter: row?.sendOnEnter ?? true,
  features: row?.features ?? {},
  updatedAt: updatedAt(row),
});

/** The caller's model and system-prompt preference (defaults until set). */
export async function getPreferences(deps: WorkspaceDeps, actor: Actor) {
  return asActor(deps.db, actor, async (tx) => {
    const [row] = await tx.select().from(userPreferences).where(eq(userPreferences.userId, actor.userId));
    return preferencesDto(row);
  });
}

/** Replaces the caller's model and system-prompt preference. */
export async function putPreferences(deps: WorkspaceDeps, actor: Actor, input: PreferencesInput) {
  return asActor(deps.db, actor, async (tx) => {
    const values = { ...input, updatedAt: new Date() };
    const [row] = await tx
      .insert(userPreferences)
      .values({ userId: actor.userId, ...values })
      .onConflictDoUpdate({ target: userPreferences.userId, set: values })
      .returning();
    return preferencesDto(row);
  });
}

/** The caller's theme (defaults until set). */
export async function getTheme(deps: WorkspaceDeps, actor: Actor) {
  return asActor(deps.db, actor, async (tx) => {
    const [row] = await tx.select().from(themeSettings).where(eq(themeSettings.userId, actor.userId));
    return themeDto(row);
  });
}

/** Replaces the caller's theme. */
export async function putTheme(deps: WorkspaceDeps, actor: Actor, input: ThemeInput) {
  return asActor(deps.db, actor, async (tx) => {
    const values = { ...input, updatedAt: new Date() };
    const [row] = await tx
      .insert(themeSettings)
      .values({ userId: actor.userId, ...values })
      .onConflictDoUpdate({ target: themeSettings.userId, set: values })
      .returning();
    return themeDto(row);
  });
}

/** The caller's display preferences (defaults until set). */
export async function getCustomization(deps: WorkspaceDeps, actor: Actor) {
  return asActor(deps.db, actor, async (tx) => {
    const [row] = await tx
      .select()
      .from(customizationPreferences)
      .where(eq(customizationPreferences.userId, actor.userId));
    return customizationDto(row);
  });
}

/** Replaces the caller's display preferences. */
export async function putCustomization(deps: WorkspaceDeps, actor: Actor, input: CustomizationInput) {
  return asActor(deps.db, actor, async (tx) => {
    const values = { ...input, updatedAt: new Date() };
    const [row] = await tx
      .insert(customizationPreferences)
      .values({ userId: actor.userId, ...values })
      .onConflictDoUpdate({ target: customizationPreferences.userId, set: values })
      .returning();
    return customizationDto(row);
  });
}
