import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { isUniqueViolation, keysetPage, type PageRequest, uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq, getTableColumns } from 'drizzle-orm';
import { sessionOwnerOf } from '../../clients/conversation-client.js';
import { encryptedChats, projectChats, projectFiles } from '../../db/schema.js';
import type { WorkspaceDeps } from '../../deps.js';
import { loadMedia, mediaDto } from '../media/media-access.js';
import { loadProject } from './manage-projects.js';

type ProjectChatRow = typeof projectChats.$inferSelect;
type ProjectFileRow = typeof projectFiles.$inferSelect;

export const projectChatDto = (row: ProjectChatRow) => ({
  id: row.id,
  projectId: row.projectId,
  encryptedChatId: row.encryptedChatId,
  sessionId: row.sessionId,
  createdAt: row.createdAt.toISOString(),
});

export const projectFileDto = (row: ProjectFileRow) => ({
  id: row.id,
  projectId: row.projectId,
  mediaId: row.mediaId,
  createdAt: row.createdAt.toISOString(),
});

const alreadyLinked = (what: string) =>
  new DomainError('conflict', `This ${what} is already in the project.`);

/** Whether conversation knows `sessionId` as one of `userId`'s chat sessions. */
async function ownsSession(deps: WorkspaceDeps, userId: string, sessionId: string): Promise<boolean> {
  return (await sessionOwnerOf(deps, sessionId)) === userId;
}

/**
 * Puts one of the caller's chats in a project: an encrypted chat of theirs (in their own projects
 * only), or a conversation chat session of theirs (asked of conversation). Throws not_found for a
 * project, chat or session they cannot see, forbidden for a project they only view, unprocessable
 * for an encrypted chat and a team's project, conflict when it is there already.
 */
export async function linkProjectChat(
  deps: WorkspaceDeps,
  actor: Actor,
  projectId: string,
  chat: { encryptedChatId?: string | undefined; sessionId?: string | undefined },
) {
  if (chat.sessionId && !(await ownsSession(deps, actor.userId, chat.sessionId)))
    throw new DomainError('not_found', 'No such chat session.');
  return asActor(deps.db, actor, async (tx) => {
    const project = await loadProject(tx, actor, projectId, 'write');
    if (chat.encryptedChatId) {
      const [own] = await tx
        .select({ id: encryptedChats.id })
        .from(encryptedChats)
        .where(
          and(eq(encryptedChats.id, chat.encryptedChatId), eq(encryptedChats.ownerUserId, actor.userId)),
        );
      if (!own) throw new DomainError('not_found', 'No such chat.');
      // Its id in a team's project would tell the team of a chat none of them can open.
      if (project.teamId)
        throw new DomainError(
          'unprocessable',
          "An encrypted chat is its owner's alone: put it in a project of your own.",
        );
    }
    try {
      const [row] = await tx
        .insert(projectChats)
        .values({
          id: uuidv7(),
          projectId,
          ownerUserId: project.ownerUserId,
          teamId: project.teamId,
          encryptedChatId: chat.encryptedChatId ?? null,
          sessionId: chat.sessionId ?? null,
        })
        .returning();
      return projectChatDto(row!);
    } catch (error) {
      if (isUniqueViolation(error)) throw alreadyLinked('chat');
      throw error;
    }
  });
}

/**
 * Puts a file in a project. A team's project takes only that team's files, so that everyone who
 * sees the project may open them; a personal project takes any file the caller may read. Throws
 * not_found / forbidden as linkProjectChat, unprocessable for a file outside the project's team.
 */
export async function linkProjectFile(deps: WorkspaceDeps, actor: Actor, projectId: string, mediaId: string) {
  return asActor(deps.db, actor, async (tx) => {
    const project = await loadProject(tx, actor, projectId, 'write');
    const file = await loadMedia(tx, actor, mediaId, 'read');
    if (project.teamId && file.teamId !== project.teamId)
      throw new DomainError(
        'unprocessable',
        "A team's project takes only files of that team; upload it to the team first.",
      );
    try {
      const [row] = await tx
        .insert(projectFiles)
        .values({
          id: uuidv7(),
          projectId,
          ownerUserId: project.ownerUserId,
          teamId: project.teamId,
          mediaId,
        })
        .returning();
      return { ...projectFileDto(row!), media: mediaDto(file) };
    } catch (error) {
      if (isUniqueViolation(error)) throw alreadyLinked('file');
      throw error;
    }
  });
}

/** A project's chats, oldest first. Throws not_found unless the caller can see the project. */
export async function listProjectChats(
  deps: WorkspaceDeps,
  actor: Actor,
  projectId: string,
  query: PageRequest,
) {
  const page = keysetPage({ by: [projectChats.id], order: 'asc' }, query);
  return asActor(deps.db, actor, async (tx) => {
    await loadProject(tx, actor, projectId, 'read');
    const rows = await tx
      .select({ ...getTableColumns(projectChats), pageKey: page.key })
      .from(projectChats)
      .where(and(eq(projectChats.projectId, projectId), page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, projectChatDto);
  });
}

/** A project's files, oldest first. Throws not_found unless the caller can see the project. */
export async function listProjectFiles(
  deps: WorkspaceDeps,
  actor: Actor,
  projectId: string,
  query: PageRequest,
) {
  const page = keysetPage({ by: [projectFiles.id], order: 'asc' }, query);
  return asActor(deps.db, actor, async (tx) => {
    await loadProject(tx, actor, projectId, 'read');
    const rows = await tx
      .select({ ...getTableColumns(projectFiles), pageKey: page.key })
      .from(projectFiles)
      .where(and(eq(projectFiles.projectId, projectId), page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, projectFileDto);
  });
}

/** Takes a chat out of a project (the chat stays). Throws not_found / forbidden as loadProject. */
export async function unlinkProjectChat(
  deps: WorkspaceDeps,
  actor: Actor,
  projectId: string,
  linkId: string,
) {
  await asActor(deps.db, actor, async (tx) => {
    await loadProject(tx, actor, projectId, 'write');
    const deleted = await tx
      .delete(projectChats)
      .where(and(eq(projectChats.id, linkId), eq(projectChats.projectId, projectId)))
      .returning({ id: projectChats.id });
    if (deleted.length === 0) throw new DomainError('not_found', 'No such chat in this project.');
  });
}

/** Takes a file out of a project (the file stays). Throws not_found / forbidden as loadProject. */
export async function unlinkProjectFile(
  deps: WorkspaceDeps,
  actor: Actor,
  projectId: string,
  linkId: string,
) {
  await asActor(deps.db, actor, async (tx) => {
    await loadProject(tx, actor, projectId, 'write');
    const deleted = await tx
      .delete(projectFiles)
      .where(and(eq(projectFiles.id, linkId), eq(projectFiles.projectId, projectId)))
      .returning({ id: projectFiles.id });
    if (deleted.length === 0) throw new DomainError('not_found', 'No such file in this project.');
  });
}
