import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { keysetPage, type PageRequest, uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq, getTableColumns, sql } from 'drizzle-orm';
import { encryptedChats } from '../../db/schema.js';
import type { WorkspaceDeps } from '../../deps.js';
import { chatDto, chatSummaryDto } from './chat-dto.js';

/** A chat as the client sealed it: the server never sees a key or a plaintext. */
export interface SealedChat {
  keyId: string;
  algorithm: string;
  nonce: Buffer;
  ciphertext: Buffer;
  titleNonce?: Buffer | null | undefined;
  titleCiphertext?: Buffer | null | undefined;
  lastMessageAt?: string | null | undefined;
}

const notFound = () => new DomainError('not_found', 'No such chat.');

const sealedColumns = (chat: SealedChat) => ({
  keyId: chat.keyId,
  algorithm: chat.algorithm,
  nonce: chat.nonce,
  ciphertext: chat.ciphertext,
  titleNonce: chat.titleNonce ?? null,
  titleCiphertext: chat.titleCiphertext ?? null,
  lastMessageAt: chat.lastMessageAt ? new Date(chat.lastMessageAt) : null,
});

/** Stores a new encrypted chat of the caller's, at version 1. */
export async function createEncryptedChat(deps: WorkspaceDeps, actor: Actor, chat: SealedChat) {
  return asActor(deps.db, actor, async (tx) => {
    const [row] = await tx
      .insert(encryptedChats)
      .values({ id: uuidv7(), ownerUserId: actor.userId, ...sealedColumns(chat) })
      .returning();
    return chatDto(row!);
  });
}

/** The caller's chats without their bodies, oldest first. Throws bad_request for a foreign cursor. */
export async function listEncryptedChats(deps: WorkspaceDeps, actor: Actor, query: PageRequest) {
  const page = keysetPage({ by: [encryptedChats.id], order: 'asc' }, query);
  return asActor(deps.db, actor, async (tx) => {
    const rows = await tx
      .select({ ...getTableColumns(encryptedChats), pageKey: page.key })
      .from(encryptedChats)
      .where(and(eq(encryptedChats.ownerUserId, actor.userId), page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, chatSummaryDto);
  });
}

/** One chat of the caller's with its body. Throws not_found for anyone else's, as for no chat. */
export async function getEncryptedChat(deps: WorkspaceDeps, actor: Actor, chatId: string) {
  return asActor(deps.db, actor, async (tx) => {
    const [row] = await tx
      .select()
      .from(encryptedChats)
      .where(and(eq(encryptedChats.id, chatId), eq(encryptedChats.ownerUserId, actor.userId)));
    if (!row) throw notFound();
    return chatDto(row);
  });
}

/**
 * Replaces a chat's sealed content and bumps its version. With `expectedVersion`, throws conflict
 * when another device saved first (the client merges and tries again); not_found as getEncryptedChat.
 */
export async function updateEncryptedChat(
  deps: WorkspaceDeps,
  actor: Actor,
  chatId: string,
  chat: SealedChat & { expectedVersion?: number | undefined },
) {
  return asActor(deps.db, actor, async (tx) => {
    const [current] = await tx
      .select({ version: encryptedChats.version })
      .from(encryptedChats)
      .where(and(eq(encryptedChats.id, chatId), eq(encryptedChats.ownerUserId, actor.userId)))
      .for('update');
    if (!current) throw notFound();
    if (chat.expectedVersion !== undefined && chat.expectedVersion !== current.version)
      throw new DomainError(
        'conflict',
        `The chat is at version ${current.version}, not ${chat.expectedVersion}: fetch it, merge and save again.`,
      );
    const [row] = await tx
      .update(encryptedChats)
      .set({ ...sealedColumns(chat), version: sql`${encryptedChats.version} + 1`, updatedAt: new Date() })
      .where(eq(encryptedChats.id, chatId))
      .returning();
    return chatDto(row!);
  });
}

/** Deletes a chat of the caller's (its project links go with it). Throws not_found as getEncryptedChat. */
export async function deleteEncryptedChat(deps: WorkspaceDeps, actor: Actor, chatId: string) {
  await asActor(deps.db, actor, async (tx) => {
    const deleted = await tx
      .delete(encryptedChats)
      .where(and(eq(encryptedChats.id, chatId), eq(encryptedChats.ownerUserId, actor.userId)))
      .returning({ id: encryptedChats.id });
    if (deleted.length === 0) throw notFound();
  });
}
