import { z } from 'zod';

/** The claims of a Conduit access token (EdDSA JWT issued by identity). */
export const accessTokenClaims = z.object({
  sub: z.uuid(),
  sid: z.uuid(),
  org: z.uuid().nullable(),
});
export type AccessTokenClaims = z.infer<typeof accessTokenClaims>;

/** Who is acting: read from a verified access token, carried in events and RPCs. */
export const actorSchema = z.object({
  userId: z.uuid(),
  sessionId: z.uuid().nullable(),
  orgId: z.uuid().nullable(),
});
export type Actor = z.infer<typeof actorSchema>;
