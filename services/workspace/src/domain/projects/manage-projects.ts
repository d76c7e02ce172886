import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { keysetPage, type PageRequest, type Transaction, uuidv7 } from '@conduit/db';
import { and, eq, getTableColumns } from 'drizzle-orm';
import { projects } from '../../db/schema.js';
import type { WorkspaceDeps } from '../../deps.js';
import { visibleTo } from '../access/visible-to.js';
import { checkAccess, newOwnership } from '../access/workspace-access.js';

export type ProjectRow = typeof projects.$inferSelect;

export const projectDto = (row: ProjectRow) => ({
  id: row.id,
  name: row.name,
  description: row.description,
  ownerUserId: row.ownerUserId,
  teamId: row.teamId,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

/** The project, if the actor may use it so; throws not_found / forbidden as checkAccess. */
export async function loadProject(
  tx: Transaction,
  actor: Actor,
  projectId: string,
  access: 'read' | 'write',
) {
  const [row] = await tx.select().from(projects).where(eq(projects.id, projectId));
  return checkAccess(actor, row, access, 'project');
}

/** A project of the caller's, or of one of their teams (not as its viewer). */
export async function createProject(
  deps: WorkspaceDeps,
  actor: Actor,
  input: { name: string; description?: string | null | undefined; teamId?: string | null | undefined },
) {
  const ownership = newOwnership(actor, input.teamId);
  return asActor(deps.db, actor, async (tx) => {
    const [row] = await tx
      .insert(projects)
      .values({ id: uuidv7(), ...ownership, name: input.name, description: input.description ?? null })
      .returning();
    return projectDto(row!);
  });
}

/** The caller's projects and their teams', oldest first. */
export async function listProjects(deps: WorkspaceDeps, actor: Actor, query: PageRequest) {
  const page = keysetPage({ by: [projects.id], order: 'asc' }, query);
  return asActor(deps.db, actor, async (tx) => {
    const rows = await tx
      .select({ ...getTableColumns(projects), pageKey: page.key })
      .from(projects)
      .where(and(visibleTo(projects, actor), page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, projectDto);
  });
}

export async function getProject(deps: WorkspaceDeps, actor: Actor, projectId: string) {
  return asActor(deps.db, actor, async (tx) => projectDto(await loadProject(tx, actor, projectId, 'read')));
}

/** Renames or re-describes a project. Throws not_found / forbidden as loadProject. */
export async function updateProject(
  deps: WorkspaceDeps,
  actor: Actor,
  projectId: string,
  changes: { name?: string | undefined; description?: string | null | undefined },
) {
  return asActor(deps.db, actor, async (tx) => {
    await loadProject(tx, actor, projectId, 'write');
    const [row] = await tx
      .update(projects)
      .set({ ...changes, updatedAt: new Date() })
      .where(eq(projects.id, projectId))
      .returning();
    return projectDto(row!);
  });
}

/** Deletes a project with its chat and file links (not the chats and files themselves). */
export async function deleteProject(deps: WorkspaceDeps, actor: Actor, projectId: string) {
  await asActor(deps.db, actor, async (tx) => {
    await loadProject(tx, actor, projectId, 'write');
    await tx.delete(projects).where(eq(projects.id, projectId));
  });
}
