import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { type Transaction, uuidv7 } from '@conduit/db';
import { asc, eq } from 'drizzle-orm';
import { botConfiguration } from '../../db/schema.js';
import type { ConversationDeps } from '../../deps.js';
import { loadBot } from '../bots/bot-access.js';
import { type ConfigEntry, checkEntries } from './config-csv.js';

/** A bot's settings in the order they were written. */
export async function readConfiguration(tx: Transaction, botId: string): Promise<ConfigEntry[]> {
  const rows = await tx
    .select({ key: botConfiguration.key, value: botConfiguration.value })
    .from(botConfiguration)
    .where(eq(botConfiguration.botId, botId))
    .orderBy(asc(botConfiguration.createdAt), asc(botConfiguration.id));
  return rows;
}

/** Settings as a case-insensitive lookup (config.csv names are case-insensitive in General Bots). */
export const settingsMap = (entries: ConfigEntry[]) =>
  new Map(entries.map((e) => [e.key.toLowerCase(), e.value]));

/** Throws not_found when the actor cannot see the bot. */
export async function getConfiguration(deps: ConversationDeps, actor: Actor, botId: string) {
  return asActor(deps.db, actor, async (tx) => {
    await loadBot(tx, actor, botId, 'bots.read');
    return readConfiguration(tx, botId);
  });
}

/**
 * Replaces a bot's whole configuration (what importing a config.csv does). Throws not_found /
 * forbidden, unprocessable for entries a configuration may not hold.
 */
export async function replaceConfiguration(
  deps: ConversationDeps,
  actor: Actor,
  botId: string,
  entries: ConfigEntry[],
) {
  checkEntries(entries);
  return asActor(deps.db, actor, async (tx) => {
    await loadBot(tx, actor, botId, 'bots.write');
    await tx.delete(botConfiguration).where(eq(botConfiguration.botId, botId));
    const base = Date.now();
    if (entries.length > 0)
      await tx.insert(botConfiguration).values(
        entries.map((entry, index) => ({
          id: uuidv7(),
          botId,
          key: entry.key,
          value: entry.value,
          // Keeps the file's order when it is exported again.
          createdAt: new Date(base + index),
          updatedAt: new Date(base + index),
        })),
      );
    return readConfiguration(tx, botId);
  });
}
