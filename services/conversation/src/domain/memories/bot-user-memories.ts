import { type Transaction, uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, asc, eq, gt, isNull, or } from 'drizzle-orm';
import { botUserMemories } from '../../db/bot-tables-schema.js';
import { MAX_MEMORY_BYTES } from './memories.js';

// What a bot keeps of one user: REMEMBER (for a while, or for good) and SET USER FACT. Scoped to
// the bot and the user (row-level security too), unlike USER MEMORY, which every bot shares.

const UNIT_SECONDS: Record<string, number> = {
  second: 1,
  minute: 60,
  hour: 3600,
  day: 86_400,
  week: 7 * 86_400,
  month: 30 * 86_400,
  year: 365 * 86_400,
};

/** "30 days", "1 hour", "90 minutes" as seconds; throws unprocessable for anything else. */
export function durationSeconds(text: string): number {
  const m = /^\s*(\d{1,6})\s*(second|minute|hour|day|week|month|year)s?\s*$/i.exec(text);
  if (!m)
    throw new DomainError(
      'unprocessable',
      `"${text.slice(0, 40)}" is not a duration: write a number and a unit, e.g. "30 minutes" or "7 days"`,
    );
  const seconds = Number(m[1]) * (UNIT_SECONDS[(m[2] as string).toLowerCase()] as number);
  if (seconds <= 0) throw new DomainError('unprocessable', 'A REMEMBER duration must be longer than zero');
  return seconds;
}

function checkValue(value: unknown) {
  if (JSON.stringify(value ?? null).length > MAX_MEMORY_BYTES)
    throw new DomainError(
      'payload_too_large',
      `A memory value may be at most ${MAX_MEMORY_BYTES} bytes of JSON.`,
    );
}

async function write(
  tx: Transaction,
  who: { botId: string; userId: string },
  kind: 'remember' | 'fact',
  key: string,
  value: unknown,
  expiresAt: Date | null,
) {
  checkValue(value);
  const now = new Date();
  await tx
    .insert(botUserMemories)
    .values({
      id: uuidv7(),
      ...who,
      kind,
      key,
      value: value ?? null,
      expiresAt,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoUpdate({
      target: [botUserMemories.botId, botUserMemories.userId, botUserMemories.kind, botUserMemories.key],
      set: { value: value ?? null, expiresAt, updatedAt: now },
    });
}

export async function remember(
  tx: Transaction,
  who: { botId: string; userId: string },
  key: string,
  value: unknown,
  duration: string | null,
  now = new Date(),
) {
  const expiresAt = duration === null ? null : new Date(now.getTime() + durationSeconds(duration) * 1000);
  await write(tx, who, 'remember', key, value, expiresAt);
}

const live = (now: Date) => or(isNull(botUserMemories.expiresAt), gt(botUserMemories.expiresAt, now));

/** What REMEMBER stored under the key, or null once it has expired. */
export async function recall(
  tx: Transaction,
  who: { botId: string; userId: string },
  key: string,
  now = new Date(),
) {
  const [row] = await tx
    .select({ value: botUserMemories.value })
    .from(botUserMemories)
    .where(
      and(
        eq(botUserMemories.botId, who.botId),
        eq(botUserMemories.userId, who.userId),
        eq(botUserMemories.kind, 'remember'),
        eq(botUserMemories.key, key),
        live(now),
      ),
    );
  return row?.value ?? null;
}

export const setUserFact = (
  tx: Transaction,
  who: { botId: string; userId: string },
  key: string,
  value: unknown,
) => write(tx, who, 'fact', key, value, null);

/** The user's facts for this bot, key to value, in key order. */
export async function userFacts(tx: Transaction, who: { botId: string; userId: string }) {
  const rows = await tx
    .select({ key: botUserMemories.key, value: botUserMemories.value })
    .from(botUserMemories)
    .where(
      and(
        eq(botUserMemories.botId, who.botId),
        eq(botUserMemories.userId, who.userId),
        eq(botUserMemories.kind, 'fact'),
      ),
    )
    .orderBy(asc(botUserMemories.key));
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}
