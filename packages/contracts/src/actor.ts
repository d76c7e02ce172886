import { z } from 'zod';
import { permissionSchema, teamRoleSchema } from './access.js';

/** The claims of a Conduit access token (EdDSA JWT issued by identity), kept small. */
export const accessTokenClaims = z.object({
  sub: z.uuid(),
  sid: z.uuid(),
  /** The organization the session acts in. */
  org: z.uuid().nullable(),
  /** Team id -> the user's role in it. */
  teams: z.record(z.uuid(), teamRoleSchema).default({}),
  /** Permission names granted in `org`, through roles or directly. */
  perms: z.array(permissionSchema).default([]),
  /** Holder of the built-in platform `admin` role. */
  adm: z.boolean().default(false),
});
export type AccessTokenClaims = z.input<typeof accessTokenClaims>;

/** Who caused something, as events and RPCs carry it. */
export const actorSchema = z.object({
  userId: z.uuid(),
  sessionId: z.uuid().nullable(),
  orgId: z.uuid().nullable(),
});
export type EventActor = z.infer<typeof actorSchema>;

/** The part of an actor an event carries: who, in which session and organization (not their access). */
export const toEventActor = (actor: EventActor): EventActor => ({
  userId: actor.userId,
  sessionId: actor.sessionId,
  orgId: actor.orgId,
});

/** Who is acting in a request, read from a verified access token. */
export interface Actor extends EventActor {
  teams: Readonly<Record<string, z.infer<typeof teamRoleSchema>>>;
  permissions: readonly z.infer<typeof permissionSchema>[];
  platformAdmin: boolean;
}

export function actorFromClaims(claims: z.output<typeof accessTokenClaims>): Actor {
  return {
    userId: claims.sub,
    sessionId: claims.sid,
    orgId: claims.org,
    teams: claims.teams,
    permissions: claims.perms,
    platformAdmin: claims.adm,
  };
}
