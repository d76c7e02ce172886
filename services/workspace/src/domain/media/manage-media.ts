import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { keysetPage, type PageRequest } from '@conduit/db';
import { and, eq, getTableColumns } from 'drizzle-orm';
import { media, objectDeletions } from '../../db/schema.js';
import type { WorkspaceDeps } from '../../deps.js';
import { visibleTo } from '../access/visible-to.js';
import { loadMedia, mediaDto } from './media-access.js';
import { removeObject } from './object-removal.js';
import { payerOf, releaseStorage } from './storage-usage.js';

/** The caller's files and their teams', oldest first. */
export async function listMedia(deps: WorkspaceDeps, actor: Actor, query: PageRequest) {
  const page = keysetPage({ by: [media.id], order: 'asc' }, query);
  return asActor(deps.db, actor, async (tx) => {
    const rows = await tx
      .select({ ...getTableColumns(media), pageKey: page.key })
      .from(media)
      .where(and(visibleTo(media, actor), page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, mediaDto);
  });
}

/** One file's description. Throws not_found unless the caller may read it. */
export async function getMedia(deps: WorkspaceDeps, actor: Actor, mediaId: string) {
  return asActor(deps.db, actor, async (tx) => mediaDto(await loadMedia(tx, actor, mediaId, 'read')));
}

/** Renames a file or makes it public or private. Throws not_found / forbidden as loadMedia. */
export async function updateMedia(
  deps: WorkspaceDeps,
  actor: Actor,
  mediaId: string,
  changes: { name?: string | undefined; public?: boolean | undefined },
) {
  return asActor(deps.db, actor, async (tx) => {
    await loadMedia(tx, actor, mediaId, 'write');
    const [row] = await tx
      .update(media)
      .set({ ...changes, updatedAt: new Date() })
      .where(eq(media.id, mediaId))
      .returning();
    return mediaDto(row!);
  });
}

/**
 * Deletes a file: its row and project links, with a request to remove its stored object committed
 * alongside (carried out right after, else by the sweep), and gives its storage back to the payer
 * whatever period it was reserved in (storage_mb is a gauge). Throws not_found / forbidden as loadMedia.
 */
export async function deleteMedia(deps: WorkspaceDeps, actor: Actor, mediaId: string) {
  const row = await asActor(deps.db, actor, async (tx) => {
    const file = await loadMedia(tx, actor, mediaId, 'write');
    await tx.delete(media).where(eq(media.id, mediaId));
    await tx.insert(objectDeletions).values({ storageKey: file.storageKey }).onConflictDoNothing();
    return file;
  });
  await removeObject(deps, row.storageKey);
  await releaseStorage(deps, payerOf(row), row.usageMb, row.usagePeriodEnd?.toISOString() ?? null);
}
