import { asActor } from '@conduit/auth';
import { appendEvent } from '@conduit/bus';
import { type Actor, type EventActor, identityEvents } from '@conduit/contracts';
import { type Database, type Transaction, uuidv7, withoutActor } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq, sql } from 'drizzle-orm';
import { invites, organizationMembers, organizations, outbox, teamMembers, teams } from '../../db/schema.js';
import type { ClientInfo, IdentityDeps } from '../../deps.js';
import { recordActivity } from '../audit-trail/record-activity.js';
import { queueIdentityMail } from '../mail/identity-mail.js';
import { hashOpaqueToken, newOpaqueToken } from '../tokens/opaque-token.js';

const INVITE_TTL_MS = 7 * 24 * 3_600_000;

export interface InviteTarget {
  organizationId: string;
  teamId?: string | null;
  email: string;
  role: string;
  /** A caller's key for this invite: the same key from the same inviter finds it again. */
  idempotencyKey?: string | null;
}

/**
 * Records an invitation (the caller has checked the inviter's rights, and RLS checks them again)
 * and mails its one-time token. Returns the invite without its token.
 */
export async function createInvite(
  tx: Transaction,
  deps: IdentityDeps,
  actor: EventActor,
  target: InviteTarget,
  client: ClientInfo,
) {
  const { token, hash } = newOpaqueToken();
  const id = uuidv7();
  const expiresAt = new Date(Date.now() + INVITE_TTL_MS);
  await tx.insert(invites).values({
    id,
    ...target,
    teamId: target.teamId ?? null,
    tokenHash: hash,
    invitedBy: actor.userId,
    expiresAt,
  });
  const [place] = await tx
    .select({ name: organizations.name })
    .from(organizations)
    .where(eq(organizations.id, target.organizationId));
  const [team] = target.teamId
    ? await tx.select({ name: teams.name }).from(teams).where(eq(teams.id, target.teamId))
    : [];
  await recordActivity(tx, {
    userId: actor.userId,
    organizationId: target.organizationId,
    type: 'invite_sent',
    client,
    metadata: { email: target.email, teamId: target.teamId ?? null, role: target.role },
  });
  const where = team ? `the team "${team.name}" of "${place?.name}"` : `"${place?.name}"`;
  const sendMail = await queueIdentityMail(deps, tx, {
    template: 'identity.invite',
    to: target.email,
    userId: null,
    variables: {
      token,
      acceptUrl: `${deps.env.PUBLIC_URL}/invites/accept?token=${token}`,
      place: where,
      role: target.role,
    },
  });
  // Direct delivery goes out now, as before; through the email service it leaves with the commit.
  sendMail();
  return {
    id,
    organizationId: target.organizationId,
    teamId: target.teamId ?? null,
    email: target.email,
    role: target.role,
    expiresAt: expiresAt.toISOString(),
  };
}

/**
 * The invite this inviter made earlier under `idempotencyKey`, if any; later callers with the same
 * key wait here for the first one's transaction, so two attempts at once make one invite.
 */
export async function inviteMadeWithKey(tx: Transaction, inviterUserId: string, idempotencyKey: string) {
  await tx.execute(
    sql`select pg_advisory_xact_lock(hashtextextended(${`identity.invite:${inviterUserId}:${idempotencyKey}`}, 0))`,
  );
  const [earlier] = await tx
    .select()
    .from(invites)
    .where(and(eq(invites.invitedBy, inviterUserId), eq(invites.idempotencyKey, idempotencyKey)));
  if (!earlier) return undefined;
  return {
    id: earlier.id,
    organizationId: earlier.organizationId,
    teamId: earlier.teamId,
    email: earlier.email,
    role: earlier.role,
    expiresAt: earlier.expiresAt.toISOString(),
  };
}

/** The invite a token stands for, if it is still open: found before the invitee can see it. */
export async function findOpenInvite(db: Database, token: string) {
  const rows = await withoutActor(db, (tx) =>
    tx.execute<{ id: string; email: string; organization_id: string }>(
      sql`select * from identity.find_invite(${hashOpaqueToken(token)})`,
    ),
  );
  return rows[0];
}

/**
 * Accepts an invite for a signed-in user whose email it was sent to: joins the organization (as
 * member, or the invited role for an organization invite) and the team if there is one. Throws
 * not_found for an unknown, used, expired or someone else's invite.
 */
export async function acceptInvite(deps: IdentityDeps, actor: Actor, token: string, client: ClientInfo) {
  const found = await findOpenInvite(deps.db, token);
  if (!found)
    throw new DomainError('not_found', 'This invite does not exist, was used, or is not for this account.');
  return asActor(deps.db, actor, (tx) => acceptInviteInTransaction(tx, actor, found.id, client));
}

/** The acceptance itself, inside the caller's transaction (also used at registration). */
export async function acceptInviteInTransaction(
  tx: Transaction,
  actor: EventActor,
  inviteId: string,
  client: ClientInfo,
) {
  const [invite] = await tx
    .update(invites)
    .set({ acceptedAt: sql`now()`, acceptedBy: actor.userId })
    .where(
      and(
        eq(invites.id, inviteId),
        sql`${invites.acceptedAt} is null`,
        sql`${invites.expiresAt} > now()`,
        sql`lower(${invites.email}) = lower(identity.my_email())`,
      ),
    )
    .returning();
  if (!invite)
    throw new DomainError('not_found', 'This invite does not exist, was used, or is not for this account.');

  // Inserted without RETURNING: a row the user could not see before this statement would fail
  // the read policy; membership is checked before instead.
  const organizationRole = invite.teamId ? 'member' : invite.role;
  if (
    !(await isMember(
      tx,
      organizationMembers,
      organizationMembers.organizationId,
      invite.organizationId,
      actor.userId,
    ))
  ) {
    await tx
      .insert(organizationMembers)
      .values({ organizationId: invite.organizationId, userId: actor.userId, role: organizationRole });
    await appendEvent(
      tx,
      outbox,
      identityEvents.organizationMemberAdded,
      { organizationId: invite.organizationId, userId: actor.userId, role: organizationRole as 'member' },
      actor,
    );
  }
  if (invite.teamId && !(await isMember(tx, teamMembers, teamMembers.teamId, invite.teamId, actor.userId))) {
    await tx.insert(teamMembers).values({
      teamId: invite.teamId,
      userId: actor.userId,
      role: invite.role,
      invitedAt: invite.createdAt,
    });
    await appendEvent(
      tx,
      outbox,
      identityEvents.teamMemberAdded,
      {
        teamId: invite.teamId,
        organizationId: invite.organizationId,
        userId: actor.userId,
        role: invite.role as 'member',
      },
      actor,
    );
  }
  await recordActivity(tx, {
    userId: actor.userId,
    organizationId: invite.organizationId,
    type: 'invite_accepted',
    client,
    metadata: { inviteId, teamId: invite.teamId },
  });
  return { organizationId: invite.organizationId, teamId: invite.teamId };
}

async function isMember(
  tx: Transaction,
  table: typeof organizationMembers | typeof teamMembers,
  groupColumn: typeof organizationMembers.organizationId | typeof teamMembers.teamId,
  groupId: string,
  userId: string,
): Promise<boolean> {
  const rows = await tx
    .select({ userId: table.userId })
    .from(table)
    .where(and(eq(groupColumn, groupId), eq(table.userId, userId)));
  return rows.length > 0;
}
