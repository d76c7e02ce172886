import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery, readableText } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { WorkspaceDeps } from '../deps.js';
import {
  createEncryptedChat,
  deleteEncryptedChat,
  getEncryptedChat,
  listEncryptedChats,
  type SealedChat,
  updateEncryptedChat,
} from '../domain/encrypted-chats/manage-encrypted-chats.js';

const tags = ['encrypted chats'];
const chatParams = z.object({ chatId: z.uuid() });

// One character class, not a repeated group: linear on megabytes, where a group's backtracking
// state would overflow the regular expression engine's stack.
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const decodedLength = (text: string) => (text.length / 4) * 3 - (text.match(/=+$/)?.[0].length ?? 0);

/** Standard base64 of between `min` and `max` bytes, checked before anything is decoded. */
const base64Bytes = (min: number, max: number) =>
  z
    .string()
    .max(Math.ceil(max / 3) * 4)
    .refine((text) => text.length % 4 === 0 && BASE64.test(text), {
      message: 'standard base64 (A-Z a-z 0-9 + /, padded with =)',
    })
    .refine((text) => decodedLength(text) >= min && decodedLength(text) <= max, {
      message: `must decode to between ${min} and ${max} bytes`,
    });

/** AES-GCM nonces are 12 bytes, XChaCha20's 24: anything between, nothing that could be a key dump. */
const nonce = base64Bytes(12, 32);
/** An encrypted title: at least an AEAD tag (16 bytes), at most 4 KiB. */
const titleCiphertext = base64Bytes(16, 4096);

const summary = z.object({
  id: z.uuid(),
  keyId: z.string(),
  algorithm: z.string(),
  titleNonce: z.string().nullable(),
  titleCiphertext: z.string().nullable(),
  version: z.int(),
  sizeBytes: z.int(),
  lastMessageAt: z.iso.datetime().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export const encryptedChatSummary = summary;
const chat = summary.extend({ nonce: z.string(), ciphertext: z.string() });

const sealedFields = (limit: number) => ({
  /** Which of the client's keys sealed it (the server never sees the key). */
  keyId: readableText(200),
  algorithm: z.enum(['AES-GCM', 'XChaCha20-Poly1305']).default('AES-GCM'),
  nonce,
  ciphertext: base64Bytes(16, limit),
  titleNonce: nonce.nullable().optional(),
  titleCiphertext: titleCiphertext.nullable().optional(),
  lastMessageAt: z.iso.datetime({ offset: true }).nullable().optional(),
});

const titleTogether = {
  check: (body: { titleNonce?: string | null; titleCiphertext?: string | null }) =>
    (body.titleNonce == null) === (body.titleCiphertext == null),
  message: { message: 'give titleNonce and titleCiphertext together', path: ['titleCiphertext'] },
};

const sealedBody = (limit: number) =>
  z.object(sealedFields(limit)).strict().refine(titleTogether.check, titleTogether.message);

const replacingBody = (limit: number) =>
  z
    .object({ ...sealedFields(limit), expectedVersion: z.int().min(1).optional() })
    .strict()
    .refine(titleTogether.check, titleTogether.message);

type SealedBody = z.output<ReturnType<typeof sealedBody>>;

const decode = (text: string | null | undefined) => (text == null ? null : Buffer.from(text, 'base64'));

const sealed = (body: SealedBody): SealedChat => ({
  keyId: body.keyId,
  algorithm: body.algorithm,
  nonce: Buffer.from(body.nonce, 'base64'),
  ciphertext: Buffer.from(body.ciphertext, 'base64'),
  titleNonce: decode(body.titleNonce),
  titleCiphertext: decode(body.titleCiphertext),
  lastMessageAt: body.lastMessageAt,
});

/** Client-encrypted chats of the caller's own: ciphertext in, ciphertext out. */
export function chatRoutes(app: ServiceApp, deps: WorkspaceDeps) {
  const route = routeGroup(app, { tags });
  const limit = deps.env.ENCRYPTED_CHAT_LIMIT_BYTES;
  const body = sealedBody(limit);

  route.post(
    '/v1/workspace/chats',
    {
      summary: 'Store a chat the client encrypted (ciphertext, nonce, key id; base64)',
      body,
      status: 201,
      response: chat,
      problems: [400, 401, 413],
    },
    (request) => createEncryptedChat(deps, requireActor(request), sealed(request.body)),
  );

  route.get(
    '/v1/workspace/chats',
    {
      summary: 'My encrypted chats, without their bodies',
      querystring: pageQuery,
      response: pageOf(summary),
      problems: [400, 401],
    },
    (request) => listEncryptedChats(deps, requireActor(request), request.query),
  );

  route.get(
    '/v1/workspace/chats/:chatId',
    {
      summary: 'One of my encrypted chats with its body',
      params: chatParams,
      response: chat,
      problems: [400, 401, 404],
    },
    (request) => getEncryptedChat(deps, requireActor(request), request.params.chatId),
  );

  route.put(
    '/v1/workspace/chats/:chatId',
    {
      summary: 'Replace an encrypted chat (409 when expectedVersion is not its version)',
      params: chatParams,
      body: replacingBody(limit),
      response: chat,
      problems: [400, 401, 404, 409, 413],
    },
    (request) =>
      updateEncryptedChat(deps, requireActor(request), request.params.chatId, {
        ...sealed(request.body),
        expectedVersion: request.body.expectedVersion,
      }),
  );

  route.delete(
    '/v1/workspace/chats/:chatId',
    {
      summary: 'Delete one of my encrypted chats',
      params: chatParams,
      status: 204,
      problems: [400, 401, 404],
    },
    (request) => deleteEncryptedChat(deps, requireActor(request), request.params.chatId),
  );
}
