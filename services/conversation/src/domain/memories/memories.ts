import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { keysetPage, type PageRequest, type Transaction, uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq, getTableColumns } from 'drizzle-orm';
import { botMemories, userMemories } from '../../db/schema.js';
import type { ConversationDeps } from '../../deps.js';
import { loadBot } from '../bots/bot-access.js';

export interface MemoryDto {
  key: string;
  value: unknown;
  updatedAt: string;
}

const toDto = (row: { key: string; value: unknown; updatedAt: Date }): MemoryDto => ({
  key: row.key,
  value: row.value,
  updatedAt: row.updatedAt.toISOString(),
});

const memoryNotFound = () => new DomainError('not_found', 'No memory under that key.');

/** Values are JSON; their size is bounded so a script cannot fill the database. */
export const MAX_MEMORY_BYTES = 64 * 1024;

function checkValue(value: unknown) {
  if (value === undefined) throw new DomainError('unprocessable', 'A memory needs a value.');
  if (JSON.stringify(value).length > MAX_MEMORY_BYTES)
    throw new DomainError(
      'payload_too_large',
      `A memory value may be at most ${MAX_MEMORY_BYTES} bytes of JSON.`,
    );
}

// The store, shared by the REST verbs and the BASIC host (which runs inside the caller's actor).

export async function readBotMemory(tx: Transaction, botId: string, key: string) {
  const [row] = await tx
    .select()
    .from(botMemories)
    .where(and(eq(botMemories.botId, botId), eq(botMemories.key, key)));
  return row;
}

export async function writeBotMemory(tx: Transaction, botId: string, key: string, value: unknown) {
  checkValue(value);
  const now = new Date();
  const [row] = await tx
    .insert(botMemories)
    .values({ id: uuidv7(), botId, key, value, createdAt: now, updatedAt: now })
    .onConflictDoUpdate({ target: [botMemories.botId, botMemories.key], set: { value, updatedAt: now } })
    .returning();
  return row!;
}

export async function readUserMemory(tx: Transaction, userId: string, key: string) {
  const [row] = await tx
    .select()
    .from(userMemories)
    .where(and(eq(userMemories.userId, userId), eq(userMemories.key, key)));
  return row;
}

export async function writeUserMemory(tx: Transaction, userId: string, key: string, value: unknown) {
  checkValue(value);
  const now = new Date();
  const [row] = await tx
    .insert(userMemories)
    .values({ id: uuidv7(), userId, key, value, createdAt: now, updatedAt: now })
    .onConflictDoUpdate({ target: [userMemories.userId, userMemories.key], set: { value, updatedAt: now } })
    .returning();
  return row!;
}

/** A bot's memories by key (needs read access to the bot). Throws bad_request for a bad cursor. */
export async function listBotMemories(
  deps: ConversationDeps,
  actor: Actor,
  botId: string,
  query: PageRequest,
) {
  const page = keysetPage({ by: [botMemories.key], order: 'asc' }, query);
  return asActor(deps.db, actor, async (tx) => {
    await loadBot(tx, actor, botId, 'bots.read');
    const rows = await tx
      .select({ ...getTableColumns(botMemories), pageKey: page.key })
      .from(botMemories)
      .where(and(eq(botMemories.botId, botId), page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, toDto);
  });
}

/** Throws not_found for an unknown key or a bot the actor cannot see. */
export async function getBotMemory(deps: ConversationDeps, actor: Actor, botId: string, key: string) {
  return asActor(deps.db, actor, async (tx) => {
    await loadBot(tx, actor, botId, 'bots.read');
    const row = await readBotMemory(tx, botId, key);
    if (!row) throw memoryNotFound();
    return toDto(row);
  });
}

/** Sets a bot memory (needs write access to the bot). */
export async function setBotMemory(
  deps: ConversationDeps,
  actor: Actor,
  botId: string,
  key: string,
  value: unknown,
) {
  return asActor(deps.db, actor, async (tx) => {
    await loadBot(tx, actor, botId, 'bots.write');
    return toDto(await writeBotMemory(tx, botId, key, value));
  });
}

export async function deleteBotMemory(deps: ConversationDeps, actor: Actor, botId: string, key: string) {
  await asActor(deps.db, actor, async (tx) => {
    await loadBot(tx, actor, botId, 'bots.write');
    const deleted = await tx
      .delete(botMemories)
      .where(and(eq(botMemories.botId, botId), eq(botMemories.key, key)))
      .returning({ id: botMemories.id });
    if (deleted.length === 0) throw memoryNotFound();
  });
}

/** The actor's own memories by key, shared across every bot. Throws bad_request for a bad cursor. */
export async function listUserMemories(deps: ConversationDeps, actor: Actor, query: PageRequest) {
  const page = keysetPage({ by: [userMemories.key], order: 'asc' }, query);
  return asActor(deps.db, actor, async (tx) => {
    const rows = await tx
      .select({ ...getTableColumns(userMemories), pageKey: page.key })
      .from(userMemories)
      .where(and(eq(userMemories.userId, actor.userId), page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, toDto);
  });
}

export async function getUserMemory(deps: ConversationDeps, actor: Actor, key: string) {
  return asActor(deps.db, actor, async (tx) => {
    const row = await readUserMemory(tx, actor.userId, key);
    if (!row) throw memoryNotFound();
    return toDto(row);
  });
}

export async function setUserMemory(deps: ConversationDeps, actor: Actor, key: string, value: unknown) {
  return asActor(deps.db, actor, async (tx) => toDto(await writeUserMemory(tx, actor.userId, key, value)));
}

export async function deleteUserMemory(deps: ConversationDeps, actor: Actor, key: string) {
  await asActor(deps.db, actor, async (tx) => {
    const deleted = await tx
      .delete(userMemories)
      .where(and(eq(userMemories.userId, actor.userId), eq(userMemories.key, key)))
      .returning({ id: userMemories.id });
    if (deleted.length === 0) throw memoryNotFound();
  });
}
