import { Readable } from 'node:stream';
import { handOverBytes, TransferError, takeBytes } from '@conduit/bus';
import { checkBotPath, type workspaceRpc } from '@conduit/contracts';
import { type ActorContext, type Transaction, uuidv7, withActor } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, asc, eq, like, sql } from 'drizzle-orm';
import type { z } from 'zod';
import { botFiles, objectDeletions } from '../../db/schema.js';
import type { WorkspaceDeps } from '../../deps.js';
import { removeObject } from '../media/object-removal.js';
import { sniffContentType, UNKNOWN_CONTENT_TYPE } from '../media/sniff-content-type.js';
import { megabytesOf, payerOf, releaseStorage, reserveStorage } from '../media/storage-usage.js';

// A bot's files: what its scripts READ, WRITE, LIST, COPY, MOVE and DELETE (conversation's
// dialogs, the workflow engine's automations, over rpc.workspace.bot_files.*). They belong to the
// bot's owner (its team for a team bot), who pays for them in storage_mb, and every query runs as
// that owner under row-level security. A path is the bot's own name for a file; the bytes live
// under a key the object store made.

export type BotRef = z.infer<typeof workspaceRpc.botFileOwner>;
type Row = typeof botFiles.$inferSelect;

/** The owner's context: their own rows, or the team's (written as a member who may change them). */
const ownerContext = (bot: BotRef): ActorContext => ({
  userId: bot.ownerUserId,
  orgId: null,
  teamIds: bot.teamId ? [bot.teamId] : [],
  writableTeamIds: bot.teamId ? [bot.teamId] : [],
  platformAdmin: false,
  permissions: [],
});

const asOwner = <T>(deps: WorkspaceDeps, bot: BotRef, fn: (tx: Transaction) => Promise<T>) =>
  withActor(deps.db, ownerContext(bot), fn);

export function pathOf(raw: string, options: { folder?: boolean } = {}): string {
  const checked = checkBotPath(raw, options);
  if (!checked.ok) throw new DomainError('bad_request', checked.message);
  return checked.path;
}

/** Text a script writes, which the bytes cannot tell apart from any other bytes, named by its extension. */
const TEXT_TYPES: Record<string, string> = {
  txt: 'text/plain; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  json: 'application/json',
  html: 'text/plain; charset=utf-8',
  xml: 'text/plain; charset=utf-8',
};

export const botFileDto = (row: Row) => ({
  path: row.path,
  name: row.path.slice(row.path.lastIndexOf('/') + 1),
  sizeBytes: row.sizeBytes,
  contentType: row.contentType,
  sha256: row.sha256,
  updatedAt: row.updatedAt.toISOString(),
});

const notFound = (path: string) => new DomainError('not_found', `The bot has no file "${path}".`);

async function findFile(tx: Transaction, bot: BotRef, path: string): Promise<Row | undefined> {
  const [row] = await tx
    .select()
    .from(botFiles)
    .where(and(eq(botFiles.botId, bot.botId), eq(botFiles.path, path)));
  return row;
}

/** A file's row and its bytes, handed over through the bus. Throws not_found. */
export async function readBotFile(deps: WorkspaceDeps, bot: BotRef, rawPath: string) {
  const path = pathOf(rawPath);
  const row = await asOwner(deps, bot, (tx) => findFile(tx, bot, path));
  if (!row) throw notFound(path);
  const chunks: Buffer[] = [];
  for await (const chunk of await deps.store.get(row.storageKey)) chunks.push(Buffer.from(chunk));
  return { ...botFileDto(row), transfer: await handOverBytes(deps.bus, Buffer.concat(chunks)) };
}

/**
 * Stores bytes as the bot file `path`, replacing what was there. The size is reserved of the
 * payer's storage_mb before it is stored (the replaced file's given back after); a failure keeps
 * no object and gives the reservation back. Throws bad_request (path, bytes gone or over
 * BOT_FILE_LIMIT_BYTES), limit_reached.
 */
export async function writeBotFileBytes(deps: WorkspaceDeps, bot: BotRef, rawPath: string, bytes: Buffer) {
  const path = pathOf(rawPath);
  const limit = deps.env.BOT_FILE_LIMIT_BYTES;
  if (bytes.length > limit)
    throw new DomainError('bad_request', `A bot file is limited to ${Math.floor(limit / 1024 / 1024)} MiB.`);
  const payer = payerOf({ ownerUserId: bot.ownerUserId, teamId: bot.teamId });
  const used = megabytesOf(bytes.length);
  const reservation = await reserveStorage(deps, payer, used);
  let storedKey: string | undefined;
  try {
    const sniffed = await sniffContentType(Readable.from([bytes]));
    const extension = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase() ?? '';
    const contentType =
      sniffed.contentType === UNKNOWN_CONTENT_TYPE
        ? (TEXT_TYPES[extension] ?? sniffed.contentType)
        : sniffed.contentType;
    const stored = await deps.store.put(sniffed.stream, { maxBytes: limit });
    storedKey = stored.key;
    const values = {
      contentType,
      sizeBytes: stored.sizeBytes,
      sha256: stored.sha256,
      storageKey: stored.key,
      usageMb: used,
      usagePeriodEnd: reservation.periodEnd ? new Date(reservation.periodEnd) : null,
      ownerUserId: bot.ownerUserId,
      teamId: bot.teamId,
    };
    const { row, replaced } = await asOwner(deps, bot, async (tx) => {
      const before = await findFile(tx, bot, path);
      if (before) {
        await tx.insert(objectDeletions).values({ storageKey: before.storageKey }).onConflictDoNothing();
        const [updated] = await tx
          .update(botFiles)
          .set({ ...values, updatedAt: new Date() })
          .where(eq(botFiles.id, before.id))
          .returning();
        return { row: updated!, replaced: before };
      }
      const [inserted] = await tx
        .insert(botFiles)
        .values({ id: uuidv7(), botId: bot.botId, path, ...values })
        .returning();
      return { row: inserted!, replaced: undefined };
    });
    if (replaced) await dropStored(deps, replaced);
    return botFileDto(row);
  } catch (error) {
    if (storedKey) await deps.store.delete(storedKey).catch(() => {});
    await releaseStorage(deps, payer, reservation.megabytes, reservation.periodEnd);
    throw error;
  }
}

/** Takes the bytes handed over as `transfer` and writes them (see writeBotFileBytes). */
export async function writeBotFile(deps: WorkspaceDeps, bot: BotRef, rawPath: string, transfer: string) {
  const path = pathOf(rawPath);
  let bytes: Buffer;
  try {
    bytes = await takeBytes(deps.bus, transfer, deps.env.BOT_FILE_LIMIT_BYTES);
  } catch (error) {
    if (error instanceof TransferError)
      throw new DomainError('bad_request', `Nothing written: ${error.message}.`);
    throw error;
  }
  return writeBotFileBytes(deps, bot, path, bytes);
}

/** The bot's files under `folder` ("" for every one), by path. */
export async function listBotFiles(deps: WorkspaceDeps, bot: BotRef, rawFolder: string, limit: number) {
  const folder = pathOf(rawFolder, { folder: true });
  const prefix = `${folder.replace(/[\\%_]/g, (c) => `\\${c}`)}/%`;
  const rows = await asOwner(deps, bot, (tx) =>
    tx
      .select()
      .from(botFiles)
      .where(and(eq(botFiles.botId, bot.botId), folder ? like(botFiles.path, prefix) : sql`true`))
      .orderBy(asc(botFiles.path))
      .limit(limit),
  );
  return rows.map(botFileDto);
}

/**
 * COPY stores the bytes again under `to` (counted again); MOVE renames the row (the same bytes).
 * Either replaces a file at `to`. Throws not_found for `from`.
 */
export async function copyBotFile(
  deps: WorkspaceDeps,
  bot: BotRef,
  rawFrom: string,
  rawTo: string,
  move: boolean,
) {
  const from = pathOf(rawFrom);
  const to = pathOf(rawTo);
  const source = await asOwner(deps, bot, (tx) => findFile(tx, bot, from));
  if (!source) throw notFound(from);
  if (from === to) return botFileDto(source);
  if (!move) {
    const chunks: Buffer[] = [];
    for await (const chunk of await deps.store.get(source.storageKey)) chunks.push(Buffer.from(chunk));
    return writeBotFileBytes(deps, bot, to, Buffer.concat(chunks));
  }
  const { row, replaced } = await asOwner(deps, bot, async (tx) => {
    const target = await findFile(tx, bot, to);
    if (target) {
      await tx.delete(botFiles).where(eq(botFiles.id, target.id));
      await tx.insert(objectDeletions).values({ storageKey: target.storageKey }).onConflictDoNothing();
    }
    const [moved] = await tx
      .update(botFiles)
      .set({ path: to, updatedAt: new Date() })
      .where(eq(botFiles.id, source.id))
      .returning();
    if (!moved) throw notFound(from);
    return { row: moved, replaced: target };
  });
  if (replaced) await dropStored(deps, replaced);
  return botFileDto(row);
}

/** Deletes a bot file; its object is removed after the commit and its storage given back. */
export async function deleteBotFile(deps: WorkspaceDeps, bot: BotRef, rawPath: string) {
  const path = pathOf(rawPath);
  const row = await asOwner(deps, bot, async (tx) => {
    const [deleted] = await tx
      .delete(botFiles)
      .where(and(eq(botFiles.botId, bot.botId), eq(botFiles.path, path)))
      .returning();
    if (deleted)
      await tx.insert(objectDeletions).values({ storageKey: deleted.storageKey }).onConflictDoNothing();
    return deleted;
  });
  if (!row) throw notFound(path);
  await dropStored(deps, row);
  return { deleted: true as const };
}

async function dropStored(deps: WorkspaceDeps, row: Row) {
  await removeObject(deps, row.storageKey);
  await releaseStorage(deps, payerOf(row), row.usageMb, row.usagePeriodEnd?.toISOString() ?? null);
}
