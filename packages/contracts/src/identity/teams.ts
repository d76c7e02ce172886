import { z } from 'zod';
import { teamRoleSchema } from '../access.js';
import { defineRpc } from '../rpc.js';

/**
 * A user's role in a team as it is now, and which of the given addresses belong to the team's
 * members (as that user sees them: nothing when they are not in the team). For work a user set up
 * that runs later without them (scheduled reports and alerts): it acts only while its creator
 * still may, and mails only the team.
 */
export const teamMembership = defineRpc(
  'rpc.identity.teams.membership',
  z.object({
    teamId: z.uuid(),
    userId: z.uuid(),
    emails: z.array(z.email().max(320)).max(50).default([]),
  }),
  z.object({
    role: teamRoleSchema.nullable(),
    /** The given addresses (as given) that are members' addresses, compared without case. */
    memberEmails: z.array(z.string()),
  }),
);
export type TeamMembership = z.infer<typeof teamMembership.response>;

/**
 * A bot script's ADD MEMBER: invites an address into a team as `inviterUserId` (the bot's owner),
 * only if they may invite to it now (owner or admin of the team), exactly as over HTTP. The team
 * is its id, or its name among the inviter's teams. Errors: not_found (no such team of theirs),
 * forbidden (they may not invite), conflict (the name fits several teams).
 */
export const inviteToTeamAsUser = defineRpc(
  'rpc.identity.teams.invite',
  z.object({
    inviterUserId: z.uuid(),
    team: z.string().trim().min(1).max(200),
    email: z.email().max(320),
    /** The same key from the same inviter answers the invite it made, without a second invite. */
    idempotencyKey: z.string().min(1).max(200).optional(),
  }),
  z.object({ inviteId: z.uuid(), teamId: z.uuid(), email: z.string(), expiresAt: z.string() }),
);
