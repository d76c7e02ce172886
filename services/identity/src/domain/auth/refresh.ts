import { type Transaction, withActor } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq } from 'drizzle-orm';
import { organizationMembers, refreshTokens, userSessions, users } from '../../db/schema.js';
import type { IdentityDeps } from '../../deps.js';
import { revokeSessions } from '../sessions/revoke-sessions.js';
import { issueTokens, type TokenPair } from '../sessions/start-session.js';
import { hashOpaqueToken } from '../tokens/opaque-token.js';
import { findTokenOwner } from './find-login.js';

const refused = () =>
  new DomainError('unauthorized', 'The refresh token is invalid, expired or revoked; sign in again.');

/**
 * Rotates a refresh token: the presented one is spent and its child returned with a new access
 * token. A spent token presented again within the grace window (two tabs refreshing at once) gets
 * a sibling; later, it is treated as stolen: the whole family and its session are revoked.
 * Throws unauthorized in every refused case.
 */
export async function refresh(
  deps: IdentityDeps,
  presented: string,
  switchToOrganizationId?: string,
): Promise<TokenPair> {
  const tokenHash = hashOpaqueToken(presented);
  const userId = await findTokenOwner(deps.db, 'refresh', tokenHash);
  if (!userId) throw refused();

  const outcome = await withActor(deps.db, { userId }, async (tx) => {
    const [token] = await tx
      .select()
      .from(refreshTokens)
      .where(eq(refreshTokens.tokenHash, tokenHash))
      .for('update');
    if (!token) return { kind: 'refused' } as const;
    const [session] = await tx
      .select()
      .from(userSessions)
      .where(eq(userSessions.id, token.sessionId))
      .for('update');
    const [user] = await tx.select().from(users).where(eq(users.id, userId));
    const now = Date.now();
    if (
      !token ||
      !session ||
      !user?.active ||
      token.revokedAt ||
      session.revokedAt ||
      token.expiresAt.getTime() <= now
    ) {
      return { kind: 'refused' } as const;
    }
    if (token.usedAt && now - token.usedAt.getTime() > deps.env.REFRESH_REUSE_GRACE) {
      deps.liveSessions.forget(await revokeSessions(tx, userId, 'refresh_token_reuse', null, [session.id]));
      return { kind: 'reused' } as const;
    }
    if (!token.usedAt)
      await tx
        .update(refreshTokens)
        .set({ usedAt: new Date(now) })
        .where(eq(refreshTokens.id, token.id));
    const organizationId = await sessionOrganization(
      tx,
      userId,
      switchToOrganizationId ?? session.organizationId,
      user.organizationId,
    );
    if (switchToOrganizationId && organizationId !== switchToOrganizationId)
      return { kind: 'not_member' } as const;
    await tx
      .update(userSessions)
      .set({ lastActiveAt: new Date(now), organizationId })
      .where(eq(userSessions.id, session.id));
    const pair = await issueTokens(tx, deps, {
      userId,
      organizationId,
      sessionId: session.id,
      sessionExpiresAt: session.expiresAt,
      parentId: token.id,
    });
    return { kind: 'rotated', pair } as const;
  });

  if (outcome.kind === 'reused') deps.log.warn({ userId }, 'spent refresh token reused; session revoked');
  if (outcome.kind === 'not_member') throw new DomainError('not_found', 'No such organization among yours.');
  if (outcome.kind !== 'rotated') throw refused();
  return outcome.pair;
}

/** The organization a session acts in: the wanted one while the user is a member, else their own. */
async function sessionOrganization(
  tx: Transaction,
  userId: string,
  wanted: string | null,
  own: string,
): Promise<string> {
  if (!wanted || wanted === own) return own;
  const [membership] = await tx
    .select({ organizationId: organizationMembers.organizationId })
    .from(organizationMembers)
    .where(and(eq(organizationMembers.organizationId, wanted), eq(organizationMembers.userId, userId)));
  return membership ? wanted : own;
}
