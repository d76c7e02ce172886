import { z } from 'zod';
import { sharePermissions, type workflowShares } from '../../db/schema.js';

export const shareDto = z.object({
  id: z.uuid(),
  workflowId: z.uuid(),
  sharedBy: z.uuid(),
  userId: z.uuid().nullable(),
  teamId: z.uuid().nullable(),
  permission: z.enum(sharePermissions),
  expiresAt: z.string().nullable(),
  /** False once `expiresAt` has passed: the share gives nothing any more. */
  active: z.boolean(),
  createdAt: z.string(),
});

export const toShareDto = (row: typeof workflowShares.$inferSelect): z.output<typeof shareDto> => ({
  id: row.id,
  workflowId: row.workflowId,
  sharedBy: row.sharedBy,
  userId: row.sharedWithUserId,
  teamId: row.sharedWithTeamId,
  permission: row.permission,
  expiresAt: row.expiresAt?.toISOString() ?? null,
  active: !row.expiresAt || row.expiresAt.getTime() > Date.now(),
  createdAt: row.createdAt.toISOString(),
});
