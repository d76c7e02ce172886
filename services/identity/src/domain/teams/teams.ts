import { randomBytes } from 'node:crypto';
import { asActor } from '@conduit/auth';
import { appendEvent } from '@conduit/bus';
import { type Actor, identityEvents } from '@conduit/contracts';
import { isUniqueViolation, keysetPage, type PageRequest, uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq, sql } from 'drizzle-orm';
import { outbox, teamMembers, teams, userSubscriptions, users } from '../../db/schema.js';
import type { ClientInfo, IdentityDeps } from '../../deps.js';
import { recordActivity } from '../audit-trail/record-activity.js';
import { slugify } from '../slug.js';
import { loadTeam } from './team-access.js';

const toTeamDto = (team: typeof teams.$inferSelect, myRole: string, plan: string | null) => ({
  id: team.id,
  organizationId: team.organizationId,
  name: team.name,
  slug: team.slug,
  plan,
  myRole,
  createdAt: team.createdAt.toISOString(),
});

/**
 * Creates a team in one of the actor's organizations (their current one by default), with the
 * actor as owner and the default plan of the global settings. Throws not_found for an organization they are not in, conflict
 * for a slug taken in that organization.
 */
export async function createTeam(
  deps: IdentityDeps,
  actor: Actor,
  input: { name: string; slug?: string | undefined; organizationId?: string | undefined },
  client: ClientInfo,
) {
  const organizationId = input.organizationId ?? actor.orgId;
  if (!organizationId) throw new DomainError('bad_request', 'Say in which organization to create the team.');
  const id = uuidv7();
  const slug = input.slug ?? `${slugify(input.name, 'team')}-${randomBytes(2).toString('hex')}`;
  try {
    return await asActor(deps.db, actor, async (tx) => {
      const [member] = await tx.execute<{ ok: boolean }>(
        sql`select ${organizationId}::uuid in (select identity.my_org_ids()) as ok`,
      );
      if (!member?.ok && !actor.platformAdmin) throw new DomainError('not_found', 'No such organization.');
      await tx.insert(teams).values({ id, organizationId, name: input.name, slug, createdBy: actor.userId });
      await tx.insert(teamMembers).values({ teamId: id, userId: actor.userId, role: 'owner' });
      await tx.execute(
        sql`select identity.ensure_subscription(${uuidv7()}, 'team', ${id}, identity.default_plan_id())`,
      );
      await appendEvent(
        tx,
        outbox,
        identityEvents.teamCreated,
        { teamId: id, organizationId, name: input.name, slug, createdBy: actor.userId },
        actor,
      );
      await appendEvent(
        tx,
        outbox,
        identityEvents.teamMemberAdded,
        { teamId: id, organizationId, userId: actor.userId, role: 'owner' },
        actor,
      );
      await recordActivity(tx, {
        userId: actor.userId,
        organizationId,
        type: 'team_created',
        client,
        metadata: { teamId: id, name: input.name },
      });
      const { team } = await loadTeam(tx, actor, id);
      return toTeamDto(team, 'owner', 'free');
    });
  } catch (error) {
    if (isUniqueViolation(error, 'teams_organization_slug_key'))
      throw new DomainError('conflict', 'This slug is taken in the organization; choose another.');
    throw error;
  }
}

/** The teams the actor belongs to, in every organization, oldest first, with their role and plan. */
export async function listMyTeams(deps: IdentityDeps, actor: Actor, query: PageRequest) {
  const page = keysetPage({ by: [teams.createdAt, teams.id], order: 'asc' }, query);
  return asActor(deps.db, actor, async (tx) => {
    const rows = await tx
      .select({ team: teams, role: teamMembers.role, plan: userSubscriptions.planId, pageKey: page.key })
      .from(teamMembers)
      .innerJoin(teams, eq(teams.id, teamMembers.teamId))
      .leftJoin(
        userSubscriptions,
        sql`${userSubscriptions.subjectType} = 'team' and ${userSubscriptions.subjectId} = ${teams.id}`,
      )
      .where(and(eq(teamMembers.userId, actor.userId), page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, (row) => toTeamDto(row.team, row.role, row.plan));
  });
}

/** A team the actor belongs to. Throws not_found otherwise. */
export async function getTeam(deps: IdentityDeps, actor: Actor, teamId: string) {
  return asActor(deps.db, actor, async (tx) => {
    const { team, myRole } = await loadTeam(tx, actor, teamId);
    const [subscription] = await tx
      .select({ plan: userSubscriptions.planId })
      .from(userSubscriptions)
      .where(sql`${userSubscriptions.subjectType} = 'team' and ${userSubscriptions.subjectId} = ${teamId}`);
    return toTeamDto(team, myRole, subscription?.plan ?? null);
  });
}

/** The members of a team the actor belongs to (viewers included), by joining time. Throws not_found. */
export async function listTeamMembers(deps: IdentityDeps, actor: Actor, teamId: string, query: PageRequest) {
  const page = keysetPage({ by: [teamMembers.joinedAt, teamMembers.userId], order: 'asc' }, query);
  return asActor(deps.db, actor, async (tx) => {
    await loadTeam(tx, actor, teamId);
    const rows = await tx
      .select({
        userId: teamMembers.userId,
        username: users.username,
        name: users.name,
        email: users.email,
        role: teamMembers.role,
        invitedAt: teamMembers.invitedAt,
        joinedAt: teamMembers.joinedAt,
        pageKey: page.key,
      })
      .from(teamMembers)
      .leftJoin(users, eq(users.id, teamMembers.userId))
      .where(and(eq(teamMembers.teamId, teamId), page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, (row) => ({
      ...row,
      invitedAt: row.invitedAt?.toISOString() ?? null,
      joinedAt: row.joinedAt.toISOString(),
    }));
  });
}
