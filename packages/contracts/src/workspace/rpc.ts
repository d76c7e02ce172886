import { z } from 'zod';
import { teamRoleSchema } from '../access.js';
import { defineRpc } from '../rpc.js';

/**
 * Who asks the workspace service about a file: the user with their organization and team roles,
 * so a team's media is visible to its members exactly as over HTTP.
 */
export const mediaActor = z.object({
  userId: z.uuid(),
  orgId: z.uuid().nullable().optional(),
  teams: z.record(z.uuid(), teamRoleSchema).optional(),
});

/**
 * What a stored file is, for services that point at one (an app's logo and avatar): read as
 * `actor`, so media they may not see answers not_found exactly as an id that never existed.
 * Public media is described to anyone; `usable` says whether it is the actor's own or their
 * team's (what they may point their own things at), not merely public. Errors: not_found.
 */
export const describeMedia = defineRpc(
  'rpc.workspace.media.describe',
  z.object({ actor: mediaActor, mediaId: z.uuid() }),
  z.object({
    id: z.uuid(),
    contentType: z.string(),
    sizeBytes: z.int().min(0),
    public: z.boolean(),
    usable: z.boolean(),
  }),
);

/**
 * The bot whose storage a call works on, and who pays for it: a script's host (conversation's
 * dialogs, the workflow engine's automations) names the bot with its owner and, for a team bot,
 * its team. A bot's files are its owner's (its team's): written as them, counted in the payer's
 * storage_mb.
 */
export const botFileOwner = z.object({
  botId: z.uuid(),
  ownerUserId: z.uuid(),
  teamId: z.uuid().nullable(),
});

const botPath = z.string().min(1).max(600);

/** A bot file as the RPCs answer it. */
export const botFileDto = z.object({
  path: z.string(),
  name: z.string(),
  sizeBytes: z.int().min(0),
  contentType: z.string(),
  sha256: z.string(),
  updatedAt: z.string(),
});

/**
 * A bot file's bytes: handed over through the bus's byte transfer (handOverBytes), `transfer`
 * naming them; the caller takes them (takeBytes). Errors: not_found, bad_request for a path that
 * is not one.
 */
export const readBotFile = defineRpc(
  'rpc.workspace.bot_files.read',
  z.object({ bot: botFileOwner, path: botPath }),
  botFileDto.extend({ transfer: z.string() }),
);

/**
 * Writes (or replaces) a bot file with the bytes handed over as `transfer`, reserving the payer's
 * storage_mb first. Errors: bad_request (a path that is not one, bytes gone or too large),
 * limit_reached (storage used up).
 */
export const writeBotFile = defineRpc(
  'rpc.workspace.bot_files.write',
  z.object({ bot: botFileOwner, path: botPath, transfer: z.string().min(1).max(100) }),
  botFileDto,
);

/**
 * Writes several bot files at once, all or none (EXTRACT): their bytes one after another in one
 * transfer, each file's `sizeBytes` of it in order, the payer's storage_mb reserved for all of
 * them before any is kept. Errors: bad_request (a path, sizes that do not add up to the bytes,
 * more than BOT_FILES_BATCH_MAX_BYTES), limit_reached.
 */
export const writeBotFiles = defineRpc(
  'rpc.workspace.bot_files.write_many',
  z.object({
    bot: botFileOwner,
    files: z
      .array(z.object({ path: botPath, sizeBytes: z.int().min(0) }))
      .min(1)
      .max(1000),
    transfer: z.string().min(1).max(100),
  }),
  z.object({ written: z.int().min(0) }),
);

/** The most bytes one writeBotFiles call may carry. */
export const BOT_FILES_BATCH_MAX_BYTES = 64 * 1024 * 1024;

/**
 * The bot's files under a folder ("" for all), by path, a page at a time (`nextCursor` names the
 * next). A page is at most 200 files, so an answer stays well inside NATS' 1 MiB max_payload
 * even with the longest paths.
 */
export const listBotFiles = defineRpc(
  'rpc.workspace.bot_files.list',
  z.object({
    bot: botFileOwner,
    folder: z.string().max(600),
    limit: z.int().min(1).max(200).default(200),
    cursor: z.string().max(8192).optional(),
  }),
  z.object({ items: z.array(botFileDto), nextCursor: z.string().nullable() }),
);

/** COPY (a new object, counted again) or MOVE (the same bytes, a new path). Errors: not_found. */
export const copyBotFile = defineRpc(
  'rpc.workspace.bot_files.copy',
  z.object({ bot: botFileOwner, from: botPath, to: botPath, move: z.boolean() }),
  botFileDto,
);

/** Deletes a bot file and gives its storage back. Errors: not_found. */
export const deleteBotFile = defineRpc(
  'rpc.workspace.bot_files.delete',
  z.object({ bot: botFileOwner, path: botPath }),
  z.object({ deleted: z.literal(true) }),
);
