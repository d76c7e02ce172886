import type { TeamMembership } from '@conduit/contracts';
import { type Database, withActor } from '@conduit/db';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { teamMembers, users } from '../../db/schema.js';

/**
 * A user's current role in a team and which of the given addresses are the team's members', read
 * as that user (row-level security shows a team's members to its members only, so a user outside
 * the team learns nothing of it). Addresses are compared without case and answered as given.
 */
export function membershipOf(
  db: Database,
  request: { teamId: string; userId: string; emails: string[] },
): Promise<TeamMembership> {
  return withActor(db, { userId: request.userId }, async (tx) => {
    const [own] = await tx
      .select({ role: teamMembers.role })
      .from(teamMembers)
      .where(and(eq(teamMembers.teamId, request.teamId), eq(teamMembers.userId, request.userId)));
    if (!own || request.emails.length === 0)
      return { role: (own?.role ?? null) as TeamMembership['role'], memberEmails: [] };
    const wanted = request.emails.map((email) => email.toLowerCase());
    const found = await tx
      .select({ email: sql<string>`lower(${users.email})` })
      .from(teamMembers)
      .innerJoin(users, eq(users.id, teamMembers.userId))
      .where(and(eq(teamMembers.teamId, request.teamId), inArray(sql`lower(${users.email})`, wanted)));
    const members = new Set(found.map((row) => row.email));
    return {
      role: own.role as TeamMembership['role'],
      memberEmails: request.emails.filter((email) => members.has(email.toLowerCase())),
    };
  });
}
