import { type GlobalSettings, globalSettingsSchema } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { globalSettings } from '../../db/schema.js';

export type SettingName = keyof GlobalSettings;

/** Each setting's row key in `global_settings` (the seed's snake_case names). */
export const SETTING_KEYS: Record<SettingName, string> = {
  siteName: 'site_name',
  defaultPlan: 'default_plan',
  signUpOpen: 'signup_open',
  defaultModel: 'default_model',
};

export const SETTING_NAMES = Object.keys(SETTING_KEYS) as SettingName[];

/** What a setting is when its row is missing or unreadable (as migration 0007 seeds them). */
export const SETTINGS_DEFAULTS: GlobalSettings = {
  siteName: 'Conduit',
  defaultPlan: 'free',
  signUpOpen: true,
  defaultModel: null,
};

/**
 * The global settings as stored; readable by anyone (row-level security allows it with or
 * without an actor). `lock` takes the rows for update, so that concurrent changes report the
 * true previous values.
 */
export async function readGlobalSettings(
  tx: Transaction,
  options: { lock?: boolean } = {},
): Promise<GlobalSettings> {
  const query = tx.select({ key: globalSettings.key, value: globalSettings.value }).from(globalSettings);
  const rows = options.lock ? await query.for('update') : await query;
  const byKey = new Map(rows.map((row) => [row.key, row.value]));
  const settings = { ...SETTINGS_DEFAULTS };
  for (const name of SETTING_NAMES) {
    const parsed = globalSettingsSchema.shape[name].safeParse(byKey.get(SETTING_KEYS[name]));
    if (parsed.success) Object.assign(settings, { [name]: parsed.data });
  }
  return settings;
}
