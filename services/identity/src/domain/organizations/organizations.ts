import { randomBytes } from 'node:crypto';
import { asActor } from '@conduit/auth';
import { appendEvent } from '@conduit/bus';
import { type Actor, identityEvents } from '@conduit/contracts';
import { isUniqueViolation, keysetPage, type PageRequest, uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq } from 'drizzle-orm';
import { organizationMembers, organizations, outbox, users } from '../../db/schema.js';
import type { ClientInfo, IdentityDeps } from '../../deps.js';
import { recordActivity } from '../audit-trail/record-activity.js';
import { slugify } from '../slug.js';
import { toOrganizationDto } from './organization-dto.js';
import { organizationRoleOf } from './organization-role.js';

/** Creates an organization owned by the actor. Throws conflict when the chosen slug is taken. */
export async function createOrganization(
  deps: IdentityDeps,
  actor: Actor,
  input: { name: string; slug?: string | undefined },
  client: ClientInfo,
) {
  const id = uuidv7();
  const slug = input.slug ?? `${slugify(input.name, 'org')}-${randomBytes(3).toString('hex')}`;
  try {
    return await asActor(deps.db, actor, async (tx) => {
      // Inserted without RETURNING: the new row is readable only once the owner membership exists.
      await tx.insert(organizations).values({ id, name: input.name, slug });
      await tx
        .insert(organizationMembers)
        .values({ organizationId: id, userId: actor.userId, role: 'owner' });
      await appendEvent(
        tx,
        outbox,
        identityEvents.organizationCreated,
        { organizationId: id, name: input.name, slug, createdBy: actor.userId },
        actor,
      );
      await appendEvent(
        tx,
        outbox,
        identityEvents.organizationMemberAdded,
        { organizationId: id, userId: actor.userId, role: 'owner' },
        actor,
      );
      await recordActivity(tx, {
        userId: actor.userId,
        organizationId: id,
        type: 'organization_created',
        client,
        metadata: { name: input.name },
      });
      const [row] = await tx.select().from(organizations).where(eq(organizations.id, id));
      return toOrganizationDto(row!, 'owner');
    });
  } catch (error) {
    if (isUniqueViolation(error, 'organizations_slug_key'))
      throw new DomainError('conflict', 'This slug is taken; choose another.');
    throw error;
  }
}

/** The organizations the actor belongs to, oldest first, with their role in each. */
export async function listMyOrganizations(deps: IdentityDeps, actor: Actor, query: PageRequest) {
  const page = keysetPage({ by: [organizations.createdAt, organizations.id], order: 'asc' }, query);
  return asActor(deps.db, actor, async (tx) => {
    const rows = await tx
      .select({ organization: organizations, role: organizationMembers.role, pageKey: page.key })
      .from(organizationMembers)
      .innerJoin(organizations, eq(organizations.id, organizationMembers.organizationId))
      .where(and(eq(organizationMembers.userId, actor.userId), page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, (row) => toOrganizationDto(row.organization, row.role));
  });
}

/** One organization the actor belongs to. Throws not_found otherwise (strangers learn nothing). */
export async function getOrganization(deps: IdentityDeps, actor: Actor, organizationId: string) {
  return asActor(deps.db, actor, async (tx) => {
    const [row] = await tx.select().from(organizations).where(eq(organizations.id, organizationId));
    if (!row) throw new DomainError('not_found', 'No such organization.');
    return toOrganizationDto(row, (await organizationRoleOf(tx, organizationId, actor.userId)) ?? null);
  });
}

/** The members of an organization the actor belongs to, by joining time. Throws not_found. */
export async function listOrganizationMembers(
  deps: IdentityDeps,
  actor: Actor,
  organizationId: string,
  query: PageRequest,
) {
  const page = keysetPage(
    { by: [organizationMembers.joinedAt, organizationMembers.userId], order: 'asc' },
    query,
  );
  return asActor(deps.db, actor, async (tx) => {
    // Those who may not read the organization (row-level security) may not read its members.
    const [visible] = await tx
      .select({ id: organizations.id })
      .from(organizations)
      .where(eq(organizations.id, organizationId));
    if (!visible) throw new DomainError('not_found', 'No such organization.');
    const rows = await tx
      .select({
        userId: users.id,
        username: users.username,
        name: users.name,
        email: users.email,
        role: organizationMembers.role,
        joinedAt: organizationMembers.joinedAt,
        pageKey: page.key,
      })
      .from(organizationMembers)
      .innerJoin(users, eq(users.id, organizationMembers.userId))
      .where(and(eq(organizationMembers.organizationId, organizationId), page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, (row) => ({ ...row, joinedAt: row.joinedAt.toISOString() }));
  });
}
