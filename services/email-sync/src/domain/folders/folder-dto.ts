import { z } from 'zod';
import { specialUses } from '../../db/schema.js';
import type { FolderRow } from '../../sync/folder-row.js';

/** A folder with its counts (as the server last said) and how far its first sync is. */
export const folderDto = z.object({
  id: z.uuid(),
  accountId: z.uuid(),
  name: z.string(),
  path: z.string(),
  parentId: z.uuid().nullable(),
  specialUse: z.enum(specialUses).nullable(),
  messageCount: z.int(),
  unreadCount: z.int(),
  sync: z.object({
    firstSyncDone: z.boolean(),
    /** Messages on the server when the first sync began, and how many are stored so far. */
    total: z.int(),
    fetched: z.int(),
    /** Stored messages the indexing pass has not reached yet: search finds them by subject and addresses, not by body, so far. */
    unindexed: z.int(),
    lastSyncAt: z.string().nullable(),
  }),
});

export const toFolderDto = (row: FolderRow, unindexed: number): z.output<typeof folderDto> => ({
  id: row.id,
  accountId: row.accountId,
  name: row.name,
  path: row.path,
  parentId: row.parentId,
  specialUse: row.specialUse,
  messageCount: row.messageCount,
  unreadCount: row.unreadCount,
  sync: {
    firstSyncDone: row.firstSyncDone,
    total: row.firstSyncTotal,
    fetched: row.firstSyncFetched,
    unindexed,
    lastSyncAt: row.lastSyncAt?.toISOString() ?? null,
  },
});
