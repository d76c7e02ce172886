import type { Actor } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { eq } from 'drizzle-orm';
import { media } from '../../db/schema.js';
import { checkAccess } from '../access/workspace-access.js';

export type MediaRow = typeof media.$inferSelect;

export const mediaDto = (row: MediaRow) => ({
  id: row.id,
  name: row.name,
  contentType: row.contentType,
  sizeBytes: row.sizeBytes,
  sha256: row.sha256,
  public: row.public,
  ownerUserId: row.ownerUserId,
  teamId: row.teamId,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

/**
 * A file the actor may use so. Public files are readable by everyone, but only through
 * GET /v1/public/media (and describe): here they follow their owner and team like any other,
 * so a stranger's file answers not_found whether public or not.
 */
export async function loadMedia(tx: Transaction, actor: Actor, mediaId: string, access: 'read' | 'write') {
  const [row] = await tx.select().from(media).where(eq(media.id, mediaId));
  return checkAccess(actor, row, access, 'file');
}
