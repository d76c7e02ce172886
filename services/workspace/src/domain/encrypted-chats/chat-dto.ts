import type { encryptedChats } from '../../db/schema.js';

export type EncryptedChatRow = typeof encryptedChats.$inferSelect;

const base64 = (bytes: Buffer | null) => (bytes === null ? null : bytes.toString('base64'));

/**
 * What lists and the sync carry of a chat: everything but its body, which can be megabytes; a
 * client fetches the body of a chat whose version it does not hold.
 */
export const chatSummaryDto = (row: EncryptedChatRow) => ({
  id: row.id,
  keyId: row.keyId,
  algorithm: row.algorithm,
  titleNonce: base64(row.titleNonce),
  titleCiphertext: base64(row.titleCiphertext),
  version: row.version,
  sizeBytes: row.ciphertext.length,
  lastMessageAt: row.lastMessageAt?.toISOString() ?? null,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

/** One chat with its encrypted body. */
export const chatDto = (row: EncryptedChatRow) => ({
  ...chatSummaryDto(row),
  nonce: row.nonce.toString('base64'),
  ciphertext: row.ciphertext.toString('base64'),
});
