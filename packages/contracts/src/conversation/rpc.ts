import { z } from 'zod';
import { teamRoleSchema } from '../access.js';
import { usageSubject } from '../identity/usage.js';
import { defineRpc } from '../rpc.js';
import { storableText } from '../storable.js';

/**
 * Who owns a chat session, for services that keep something per session (knowledge-base's session
 * knowledge bases) and must refuse anyone else exactly as they refuse an unknown session. `userId`
 * is null when there is no such session (never was, or deleted).
 */
export const sessionOwner = defineRpc(
  'rpc.conversation.sessions.owner',
  z.object({ sessionId: z.uuid() }),
  z.object({ userId: z.uuid().nullable() }),
);

/**
 * One completion through conversation's LLM providers, for other services (the workflow engine's
 * llm node), acting as `userId` with their teams: the model is one they may use (by id or name;
 * absent, their preferred model, else the built-in offline one). The AI credits it may use are
 * reserved from `payer` first and what it did not use is given back. Errors: not_found for a
 * model they may not use, limit_reached when no credits are left, internal when the provider
 * failed (its message says why, without internals). A request that names an `idempotencyKey` it
 * (the same user) sent within a day with the same question (model, system, prompt, maxTokens) is
 * answered the first completion again, neither asked nor charged twice: a caller that crashed after
 * asking asks again safely. Another question under the same key is asked anew.
 */
export const complete = defineRpc(
  'rpc.conversation.llm.complete',
  z.object({
    userId: z.uuid(),
    orgId: z.uuid().nullable().optional(),
    teams: z.record(z.uuid(), teamRoleSchema).optional(),
    payer: usageSubject,
    model: storableText(200).min(1).optional(),
    // Room for SAVE FROM UNSTRUCTURED's instruction and a 16 KiB JSON Schema.
    system: storableText(20_000).optional(),
    prompt: storableText(32_000).min(1),
    maxTokens: z.int().min(1).max(8192).default(512),
    idempotencyKey: storableText(200).min(1).optional(),
  }),
  z.object({ text: z.string(), model: z.string(), tokens: z.int().min(0) }),
);

/**
 * Who owns a bot, for services that keep something per bot (the workflow engine's automations)
 * and let only its owners manage it: read as the asking user (`userId` with their teams), so a bot
 * they may not see is null exactly as one that does not exist.
 */
export const botOwner = defineRpc(
  'rpc.conversation.bots.owner',
  z.object({
    botId: z.uuid(),
    userId: z.uuid(),
    orgId: z.uuid().nullable().optional(),
    teams: z.record(z.uuid(), teamRoleSchema).optional(),
  }),
  z.object({
    bot: z
      .object({ ownerUserId: z.uuid(), teamId: z.uuid().nullable(), orgId: z.uuid().nullable() })
      .nullable(),
  }),
);

/**
 * A bot's memory read or written by one of its automations (GET / SET BOT MEMORY), acting as the
 * bot's owner: conversation checks that `ownerUserId` (with `teamId` for a team bot) still owns
 * the bot, else not_found. `value` is the memory's value (null: none, or to clear it when set).
 */
export const botMemory = defineRpc(
  'rpc.conversation.bots.memory',
  z.discriminatedUnion('op', [
    z.object({
      op: z.literal('get'),
      botId: z.uuid(),
      ownerUserId: z.uuid(),
      teamId: z.uuid().nullable(),
      key: storableText(200).min(1),
    }),
    z.object({
      op: z.literal('set'),
      botId: z.uuid(),
      ownerUserId: z.uuid(),
      teamId: z.uuid().nullable(),
      key: storableText(200).min(1),
      value: z.unknown(),
    }),
  ]),
  z.object({ value: z.unknown() }),
);

/**
 * The setting that maps a knowledge base's name in a bot's scripts (`USE KB "Product docs"`) to a
 * collection id: `kb.<name>` in the bot's configuration, names case-insensitive. Dialogs read it
 * from the configuration they hold; automations ask `rpc.conversation.bots.knowledge_base`.
 */
export const knowledgeBaseSetting = (name: string) => `kb.${name.trim().toLowerCase()}`;

/**
 * The collection a bot's configuration maps a knowledge base's name to (`kb.<name>`), for one of
 * its automations' `USE KB "name"`, read as the bot's owner: conversation checks that
 * `ownerUserId` (with `teamId` for a team bot) still owns the bot, else not_found.
 * `collectionId` is null when the name is not mapped (or not to a collection id). Whether the owner
 * may read that collection is the knowledge base's to say when the script searches it.
 */
export const botKnowledgeBase = defineRpc(
  'rpc.conversation.bots.knowledge_base',
  z.object({
    botId: z.uuid(),
    ownerUserId: z.uuid(),
    teamId: z.uuid().nullable(),
    name: storableText(200).min(1),
  }),
  z.object({ collectionId: z.uuid().nullable() }),
);
