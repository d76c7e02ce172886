import { z } from 'zod';
import { credentialKinds, type workflowCredentials } from '../../db/schema.js';

/** A credential as the API shows it: never its secret. */
export const credentialDto = z.object({
  id: z.uuid(),
  name: z.string(),
  kind: z.enum(credentialKinds),
  ownerUserId: z.uuid(),
  teamId: z.uuid().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const toCredentialDto = (
  row: typeof workflowCredentials.$inferSelect,
): z.output<typeof credentialDto> => ({
  id: row.id,
  name: row.name,
  kind: row.kind,
  ownerUserId: row.userId,
  teamId: row.teamId,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});
