import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { keysetPage, uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { eq, getTableColumns } from 'drizzle-orm';
import { type AppStatus, apps } from '../../db/schema.js';
import type { ConversationDeps } from '../../deps.js';
import { loadBot } from '../bots/bot-access.js';
import { asAppManager, canManageApp, canReadApp, loadApp } from './app-access.js';
import { toAppDto } from './app-dto.js';
import { newPublicKey } from './app-keys.js';

export interface CreateAppInput {
  name: string;
  botId: string;
  teamId?: string | null | undefined;
  status?: AppStatus | undefined;
}

/**
 * Creates an app of the actor, or of a team they own or administer, publishing a bot they may use.
 * Throws forbidden (not allowed in that team), not_found (a bot they cannot use).
 */
export async function createApp(deps: ConversationDeps, actor: Actor, input: CreateAppInput) {
  const teamId = input.teamId ?? null;
  if (!canManageApp(actor, { teamId, ownerUserId: actor.userId }))
    throw new DomainError(
      'forbidden',
      teamId ? 'You may not create apps in that team.' : 'You may not create apps.',
    );
  const manager = asAppManager(actor);
  return asActor(deps.db, manager, async (tx) => {
    await loadBot(tx, actor, input.botId, 'bots.read');
    const now = new Date();
    const [app] = await tx
      .insert(apps)
      .values({
        id: uuidv7(),
        orgId: actor.orgId,
        ownerUserId: actor.userId,
        teamId,
        botId: input.botId,
        name: input.name,
        status: input.status ?? 'draft',
        publicKey: newPublicKey(),
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    return toAppDto(app!);
  });
}

/** The apps the actor can read, newest first. Throws bad_request for a cursor it did not give. */
export async function listApps(
  deps: ConversationDeps,
  actor: Actor,
  query: { limit: number; cursor?: string | undefined },
) {
  const page = keysetPage({ by: [apps.createdAt, apps.id], order: 'desc' }, query);
  return asActor(deps.db, actor, async (tx) => {
    const rows = await tx
      .select({ ...getTableColumns(apps), pageKey: page.key })
      .from(apps)
      .where(page.after)
      .orderBy(...page.orderBy)
      .limit(page.limit);
    const { items, nextCursor } = page.of(rows, (row) => row);
    return { items: items.filter((app) => canReadApp(actor, app)).map(toAppDto), nextCursor };
  });
}

/** Throws not_found when the actor cannot see the app. */
export async function getApp(deps: ConversationDeps, actor: Actor, appId: string) {
  return asActor(deps.db, actor, async (tx) => toAppDto(await loadApp(tx, actor, appId, 'read')));
}

export interface UpdateAppInput {
  name?: string | undefined;
  status?: AppStatus | undefined;
  botId?: string | undefined;
}

/** Throws not_found / forbidden; not_found also for a new bot the actor cannot use. */
export async function updateApp(deps: ConversationDeps, actor: Actor, appId: string, input: UpdateAppInput) {
  return asActor(deps.db, asAppManager(actor), async (tx) => {
    await loadApp(tx, actor, appId, 'manage');
    if (input.botId !== undefined) await loadBot(tx, actor, input.botId, 'bots.read');
    const [app] = await tx
      .update(apps)
      .set({
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.status !== undefined ? { status: input.status } : {}),
        ...(input.botId !== undefined ? { botId: input.botId } : {}),
        updatedAt: new Date(),
      })
      .where(eq(apps.id, appId))
      .returning();
    return toAppDto(app!);
  });
}

/**
 * A new public key: host pages that name the old one stop working at once (their visitors'
 * tokens name the app, not the key, and run out by themselves). Throws not_found / forbidden.
 */
export async function rotateAppKey(deps: ConversationDeps, actor: Actor, appId: string) {
  return asActor(deps.db, asAppManager(actor), async (tx) => {
    await loadApp(tx, actor, appId, 'manage');
    const [app] = await tx
      .update(apps)
      .set({ publicKey: newPublicKey(), updatedAt: new Date() })
      .where(eq(apps.id, appId))
      .returning();
    return toAppDto(app!);
  });
}

/** Deletes an app with its appearance, settings, URLs, domains and visitors. Throws not_found / forbidden. */
export async function deleteApp(deps: ConversationDeps, actor: Actor, appId: string) {
  await asActor(deps.db, asAppManager(actor), async (tx) => {
    await loadApp(tx, actor, appId, 'manage');
    await tx.delete(apps).where(eq(apps.id, appId));
  });
}
