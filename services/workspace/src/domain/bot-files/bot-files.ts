import { Readable } from 'node:stream';
import { dropBytes, handOverBytes, TransferError, takeBytes } from '@conduit/bus';
import { checkBotPath, workspaceRpc } from '@conduit/contracts';
import { type ActorContext, keysetPage, type Transaction, uuidv7, withActor } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq, getTableColumns, inArray, like } from 'drizzle-orm';
import type { z } from 'zod';
import { botFiles, botFileUsage, objectDeletions } from '../../db/schema.js';
import type { WorkspaceDeps } from '../../deps.js';
import { removeObject } from '../media/object-removal.js';
import { sniffContentType, UNKNOWN_CONTENT_TYPE } from '../media/sniff-content-type.js';
import {
  megabytesOf,
  payerOf,
  releaseStorage,
  reserveStorage,
  type StorageReservation,
} from '../media/storage-usage.js';

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

/** A stored object's row values, but for the row's id and bot. */
type StoredValues = Omit<typeof botFiles.$inferInsert, 'id' | 'botId'> & { path: string; sizeBytes: number };

interface Settlement {
  /** Mebibytes of storage_mb held beyond what the payer's bot files now need, to give back. */
  surplus: number;
  periodEnd: string | null;
}

/**
 * Locks the payer's usage row (made on first use) and moves it by `deltaBytes`: storage_mb held
 * becomes the ceiling of the new total in mebibytes. `held` is what the caller reserved for this
 * change beforehand; what is still missing is reserved here (throws limit_reached), what is held
 * beyond the need is answered as the surplus, to give back once the transaction commits. Every
 * change to a payer's bot files runs after this lock, so they settle one after another.
 */
async function lockUsage(tx: Transaction, bot: BotRef) {
  const payer = payerOf({ ownerUserId: bot.ownerUserId, teamId: bot.teamId });
  const key = and(eq(botFileUsage.payerType, payer.type), eq(botFileUsage.payerId, payer.id));
  await tx.insert(botFileUsage).values({ payerType: payer.type, payerId: payer.id }).onConflictDoNothing();
  const [usage] = await tx.select().from(botFileUsage).where(key).for('update');
  if (!usage) throw new Error('the bot file usage row of the payer is not visible to its owner');
  return {
    usage,
    async settle(
      deps: WorkspaceDeps,
      deltaBytes: number,
      held: StorageReservation = { megabytes: 0, periodEnd: null },
    ): Promise<Settlement> {
      const bytes = Math.max(0, usage.bytes + deltaBytes);
      const needed = megabytesOf(bytes);
      let have = usage.reservedMb + held.megabytes;
      let periodEnd = held.periodEnd ?? usage.periodEnd?.toISOString() ?? null;
      if (needed > have) {
        // Another change of the payer's settled first and took what this one had counted on.
        const extra = await reserveStorage(deps, payer, needed - have);
        held.megabytes += extra.megabytes;
        have += extra.megabytes;
        periodEnd = extra.periodEnd ?? periodEnd;
      }
      await tx
        .update(botFileUsage)
        .set({
          bytes,
          reservedMb: needed,
          periodEnd: periodEnd ? new Date(periodEnd) : null,
          updatedAt: new Date(),
        })
        .where(key);
      return { surplus: have - needed, periodEnd };
    },
  };
}

/** Gives back a settlement's surplus (after its commit). */
const giveBack = (deps: WorkspaceDeps, bot: BotRef, settled: Settlement) =>
  releaseStorage(
    deps,
    payerOf({ ownerUserId: bot.ownerUserId, teamId: bot.teamId }),
    settled.surplus,
    settled.periodEnd,
  );

/**
 * What storing `files` would add to what the payer holds, read without a lock: the reservation
 * made before any object is stored. The write settles exactly under the lock.
 */
async function estimateMegabytes(deps: WorkspaceDeps, bot: BotRef, files: { path: string; bytes: Buffer }[]) {
  const payer = payerOf({ ownerUserId: bot.ownerUserId, teamId: bot.teamId });
  return asOwner(deps, bot, async (tx) => {
    const [usage] = await tx
      .select()
      .from(botFileUsage)
      .where(and(eq(botFileUsage.payerType, payer.type), eq(botFileUsage.payerId, payer.id)));
    const replaced = await tx
      .select({ sizeBytes: botFiles.sizeBytes })
      .from(botFiles)
      .where(
        and(
          eq(botFiles.botId, bot.botId),
          inArray(
            botFiles.path,
            files.map((f) => f.path),
          ),
        ),
      );
    const bytes =
      (usage?.bytes ?? 0) -
      replaced.reduce((sum, row) => sum + row.sizeBytes, 0) +
      files.reduce((sum, file) => sum + file.bytes.length, 0);
    return Math.max(0, megabytesOf(bytes) - (usage?.reservedMb ?? 0));
  });
}

/**
 * Stores `files` as the bot's files at their paths, replacing what was there, all or none. A
 * payer's bot files count in storage_mb by their total, rounded up once (not file by file): what
 * the write adds is reserved before any object is stored, settled exactly under the payer's lock
 * (see lockUsage), and a failure keeps no object and gives the reservation back. Throws
 * bad_request (a path, a file over BOT_FILE_LIMIT_BYTES, the same path twice), limit_reached.
 */
export async function storeBotFiles(
  deps: WorkspaceDeps,
  bot: BotRef,
  incoming: { path: string; bytes: Buffer }[],
): Promise<Row[]> {
  const limit = deps.env.BOT_FILE_LIMIT_BYTES;
  const files = incoming.map((file) => ({ path: pathOf(file.path), bytes: file.bytes }));
  if (new Set(files.map((f) => f.path)).size !== files.length)
    throw new DomainError('bad_request', 'The same path is written twice.');
  for (const file of files)
    if (file.bytes.length > limit)
      throw new DomainError(
        'bad_request',
        `"${file.path}": a bot file is limited to ${Math.floor(limit / 1024 / 1024)} MiB.`,
      );
  const payer = payerOf({ ownerUserId: bot.ownerUserId, teamId: bot.teamId });
  const held = await reserveStorage(deps, payer, await estimateMegabytes(deps, bot, files));
  const storedKeys: string[] = [];
  let committed = false;
  try {
    const values: StoredValues[] = [];
    for (const file of files) {
      const sniffed = await sniffContentType(Readable.from([file.bytes]));
      const extension = /\.([a-z0-9]+)$/i.exec(file.path)?.[1]?.toLowerCase() ?? '';
      const contentType =
        sniffed.contentType === UNKNOWN_CONTENT_TYPE
          ? (TEXT_TYPES[extension] ?? sniffed.contentType)
          : sniffed.contentType;
      const stored = await deps.store.put(sniffed.stream, { maxBytes: limit });
      storedKeys.push(stored.key);
      values.push({
        path: file.path,
        contentType,
        sizeBytes: stored.sizeBytes,
        sha256: stored.sha256,
        storageKey: stored.key,
        ownerUserId: bot.ownerUserId,
        teamId: bot.teamId,
      });
    }
    const { rows, replaced, settled } = await asOwner(deps, bot, async (tx) => {
      const lock = await lockUsage(tx, bot);
      const replaced = await tx
        .select()
        .from(botFiles)
        .where(
          and(
            eq(botFiles.botId, bot.botId),
            inArray(
              botFiles.path,
              files.map((f) => f.path),
            ),
          ),
        )
        .for('update');
      const rows: Row[] = [];
      for (const value of values) {
        const [row] = await tx
          .insert(botFiles)
          .values({ id: uuidv7(), botId: bot.botId, ...value })
          .onConflictDoUpdate({
            target: [botFiles.botId, botFiles.path],
            set: { ...value, updatedAt: new Date() },
          })
          .returning();
        rows.push(row!);
      }
      for (const row of replaced)
        await tx.insert(objectDeletions).values({ storageKey: row.storageKey }).onConflictDoNothing();
      const delta =
        values.reduce((sum, v) => sum + v.sizeBytes, 0) - replaced.reduce((sum, r) => sum + r.sizeBytes, 0);
      return { rows, replaced, settled: await lock.settle(deps, delta, held) };
    });
    committed = true;
    await giveBack(deps, bot, settled);
    for (const row of replaced) await removeObject(deps, row.storageKey);
    return rows;
  } catch (error) {
    if (committed) throw error;
    for (const key of storedKeys) await deps.store.delete(key).catch(() => {});
    await releaseStorage(deps, payer, held.megabytes, held.periodEnd);
    throw error;
  }
}

/** Stores bytes as the bot file `path` (see storeBotFiles). */
export async function writeBotFileBytes(deps: WorkspaceDeps, bot: BotRef, rawPath: string, bytes: Buffer) {
  const [row] = await storeBotFiles(deps, bot, [{ path: rawPath, bytes }]);
  return botFileDto(row!);
}

const takeOrRefuse = async (deps: WorkspaceDeps, transfer: string, maxBytes: number) => {
  try {
    return await takeBytes(deps.bus, transfer, maxBytes);
  } catch (error) {
    if (error instanceof TransferError)
      throw new DomainError('bad_request', `Nothing written: ${error.message}.`);
    throw error;
  }
};

/** Takes the bytes handed over as `transfer` and writes them (see storeBotFiles). */
export async function writeBotFile(deps: WorkspaceDeps, bot: BotRef, rawPath: string, transfer: string) {
  const path = pathOf(rawPath);
  return writeBotFileBytes(
    deps,
    bot,
    path,
    await takeOrRefuse(deps, transfer, deps.env.BOT_FILE_LIMIT_BYTES),
  );
}

/**
 * Takes the bytes handed over as `transfer`, the files' one after another, and writes them all
 * or none (see storeBotFiles). Throws bad_request when the sizes do not add up to the bytes.
 */
export async function writeBotFiles(
  deps: WorkspaceDeps,
  bot: BotRef,
  files: { path: string; sizeBytes: number }[],
  transfer: string,
) {
  const checked = files.map((file) => ({ path: pathOf(file.path), sizeBytes: file.sizeBytes }));
  const total = checked.reduce((sum, file) => sum + file.sizeBytes, 0);
  if (total > workspaceRpc.BOT_FILES_BATCH_MAX_BYTES) {
    await dropBytes(deps.bus, transfer);
    throw new DomainError(
      'bad_request',
      `Nothing written: more than ${workspaceRpc.BOT_FILES_BATCH_MAX_BYTES} bytes at once.`,
    );
  }
  const bytes = await takeOrRefuse(deps, transfer, total);
  if (bytes.length !== total)
    throw new DomainError(
      'bad_request',
      'Nothing written: the sizes do not add up to the bytes handed over.',
    );
  let at = 0;
  const rows = await storeBotFiles(
    deps,
    bot,
    checked.map((file) => {
      const part = bytes.subarray(at, at + file.sizeBytes);
      at += file.sizeBytes;
      return { path: file.path, bytes: part };
    }),
  );
  return { written: rows.length };
}

/** One page of the bot's files under `folder` ("" for every one), by path. */
export async function listBotFiles(
  deps: WorkspaceDeps,
  bot: BotRef,
  rawFolder: string,
  query: { limit: number; cursor?: string | undefined },
) {
  const folder = pathOf(rawFolder, { folder: true });
  const prefix = `${folder.replace(/[\\%_]/g, (c) => `\\${c}`)}/%`;
  const page = keysetPage({ by: [botFiles.path], order: 'asc' }, query);
  return asOwner(deps, bot, async (tx) => {
    const rows = await tx
      .select({ ...getTableColumns(botFiles), pageKey: page.key })
      .from(botFiles)
      .where(and(eq(botFiles.botId, bot.botId), folder ? like(botFiles.path, prefix) : undefined, page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, botFileDto);
  });
}

/**
 * COPY stores the bytes again under `to` (counted again); MOVE renames the row (the same bytes).
 * Either replaces a file at `to`, whose storage is given back. Throws not_found for `from`.
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
  const { row, replaced, settled } = await asOwner(deps, bot, async (tx) => {
    const lock = await lockUsage(tx, bot);
    const [current] = await tx
      .select()
      .from(botFiles)
      .where(and(eq(botFiles.botId, bot.botId), eq(botFiles.path, from)))
      .for('update');
    if (!current) throw notFound(from);
    const [target] = await tx
      .delete(botFiles)
      .where(and(eq(botFiles.botId, bot.botId), eq(botFiles.path, to)))
      .returning();
    if (target)
      await tx.insert(objectDeletions).values({ storageKey: target.storageKey }).onConflictDoNothing();
    const [moved] = await tx
      .update(botFiles)
      .set({ path: to, updatedAt: new Date() })
      .where(eq(botFiles.id, current.id))
      .returning();
    return { row: moved!, replaced: target, settled: await lock.settle(deps, -(target?.sizeBytes ?? 0)) };
  });
  await giveBack(deps, bot, settled);
  if (replaced) await removeObject(deps, replaced.storageKey);
  return botFileDto(row);
}

/** Deletes a bot file; its object is removed after the commit and its storage given back. */
export async function deleteBotFile(deps: WorkspaceDeps, bot: BotRef, rawPath: string) {
  const path = pathOf(rawPath);
  const { row, settled } = await asOwner(deps, bot, async (tx) => {
    const lock = await lockUsage(tx, bot);
    const [deleted] = await tx
      .delete(botFiles)
      .where(and(eq(botFiles.botId, bot.botId), eq(botFiles.path, path)))
      .returning();
    if (!deleted) throw notFound(path);
    await tx.insert(objectDeletions).values({ storageKey: deleted.storageKey }).onConflictDoNothing();
    return { row: deleted, settled: await lock.settle(deps, -deleted.sizeBytes) };
  });
  await giveBack(deps, bot, settled);
  await removeObject(deps, row.storageKey);
  return { deleted: true as const };
}

/**
 * A deleted bot's files (conversation.bot.deleted): every one of them deleted as its owner, their
 * storage given back to the payer after the commit and their objects removed (a removal that
 * fails is left to the sweep). Doing it again finds nothing and changes nothing, so a redelivered
 * event is harmless. Answers how many files went.
 */
export async function deleteAllBotFiles(deps: WorkspaceDeps, bot: BotRef): Promise<number> {
  const { rows, settled } = await asOwner(deps, bot, async (tx) => {
    const lock = await lockUsage(tx, bot);
    const deleted = await tx.delete(botFiles).where(eq(botFiles.botId, bot.botId)).returning();
    if (deleted.length)
      await tx
        .insert(objectDeletions)
        .values(deleted.map((row) => ({ storageKey: row.storageKey })))
        .onConflictDoNothing();
    const freed = deleted.reduce((sum, row) => sum + row.sizeBytes, 0);
    return { rows: deleted, settled: await lock.settle(deps, -freed) };
  });
  await giveBack(deps, bot, settled);
  for (const row of rows) await removeObject(deps, row.storageKey);
  return rows.length;
}
