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
