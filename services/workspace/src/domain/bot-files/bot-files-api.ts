import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { keysetPage, type PageRequest } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq, getTableColumns, like } from 'drizzle-orm';
import { botAsSeenBy } from '../../clients/conversation-client.js';
import { botFiles } from '../../db/schema.js';
import type { WorkspaceDeps } from '../../deps.js';
import { botFileDto, pathOf } from './bot-files.js';

// A bot's files through the API, read only: the bot's owner, or for a team bot the team's members
// (viewers too), see them; anyone else gets the bot's 404, as from conversation. The scripts
// write them; people read what the scripts made (a report, a PDF).

/**
 * The bot as conversation answers it to the caller (rpc.conversation.bots.owner), when the caller
 * may read its files. Throws not_found otherwise (a bot they cannot see, or only see through an
 * organization share), unavailable when conversation does not answer.
 */
async function requireBotFileReader(deps: WorkspaceDeps, actor: Actor, botId: string) {
  const bot = await botAsSeenBy(deps, actor, botId);
  const reads =
    bot && (bot.teamId ? actor.teams[bot.teamId] !== undefined : bot.ownerUserId === actor.userId);
  if (!reads) throw new DomainError('not_found', 'No such bot.');
  return bot;
}

/** The bot's files under `folder` ("" or none: all), by path. */
export async function listBotFilesFor(
  deps: WorkspaceDeps,
  actor: Actor,
  botId: string,
  folder: string | undefined,
  query: PageRequest,
) {
  // Input first (a bad cursor or folder is the caller's 400 whether or not conversation answers).
  const under = pathOf(folder ?? '', { folder: true });
  const page = keysetPage({ by: [botFiles.path], order: 'asc' }, query);
  await requireBotFileReader(deps, actor, botId);
  return asActor(deps.db, actor, async (tx) => {
    const rows = await tx
      .select({ ...getTableColumns(botFiles), pageKey: page.key })
      .from(botFiles)
      .where(
        and(
          eq(botFiles.botId, botId),
          under ? like(botFiles.path, `${under.replace(/[\\%_]/g, (c) => `\\${c}`)}/%`) : undefined,
          page.after,
        ),
      )
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, botFileDto);
  });
}

/** One bot file, whole: its row and bytes. Throws not_found. */
export async function downloadBotFile(deps: WorkspaceDeps, actor: Actor, botId: string, rawPath: string) {
  const path = pathOf(rawPath);
  await requireBotFileReader(deps, actor, botId);
  const [row] = await asActor(deps.db, actor, (tx) =>
    tx
      .select()
      .from(botFiles)
      .where(and(eq(botFiles.botId, botId), eq(botFiles.path, path))),
  );
  if (!row) throw new DomainError('not_found', `The bot has no file "${path}".`);
  return { file: botFileDto(row), body: await deps.store.get(row.storageKey) };
}
