import type { Transaction } from '@conduit/db';
import { uuidv7 } from 'uuidv7';
import { refreshTokens, userSessions } from '../../db/schema.js';
import type { ClientInfo, IdentityDeps } from '../../deps.js';
import { loadAccess } from '../access/load-access.js';
import { signAccessToken } from '../tokens/access-token.js';
import { newOpaqueToken } from '../tokens/opaque-token.js';
import { describeDevice } from './describe-device.js';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

/** A new device session with its first refresh token; the caller's transaction must run as the user. */
export async function startSession(
  tx: Transaction,
  deps: IdentityDeps,
  user: { id: string; organizationId: string },
  client: ClientInfo,
): Promise<TokenPair & { sessionId: string }> {
  const sessionId = uuidv7();
  const expiresAt = new Date(Date.now() + deps.env.SESSION_TTL);
  await tx.insert(userSessions).values({
    id: sessionId,
    userId: user.id,
    userAgent: client.userAgent?.slice(0, 500) ?? null,
    device: describeDevice(client.userAgent),
    ip: client.ip,
    organizationId: user.organizationId,
    expiresAt,
  });
  const pair = await issueTokens(tx, deps, {
    userId: user.id,
    organizationId: user.organizationId,
    sessionId,
    sessionExpiresAt: expiresAt,
    parentId: null,
  });
  return { ...pair, sessionId };
}

/**
 * A refresh token in the session's family and a fresh access token whose claims (teams, roles,
 * permissions) are read now: a change of membership or role shows at the next refresh.
 */
export async function issueTokens(
  tx: Transaction,
  deps: IdentityDeps,
  grant: {
    userId: string;
    organizationId: string;
    sessionId: string;
    sessionExpiresAt: Date;
    parentId: string | null;
  },
): Promise<TokenPair> {
  const refresh = newOpaqueToken();
  await tx.insert(refreshTokens).values({
    id: uuidv7(),
    userId: grant.userId,
    sessionId: grant.sessionId,
    parentId: grant.parentId,
    tokenHash: refresh.hash,
    expiresAt: grant.sessionExpiresAt,
  });
  const access = await loadAccess(tx, grant.userId, grant.organizationId);
  const accessToken = await signAccessToken(
    deps.keys,
    {
      sub: grant.userId,
      sid: grant.sessionId,
      org: grant.organizationId,
      teams: access.teams,
      perms: access.permissions,
      adm: access.platformAdmin,
    },
    deps.env.ACCESS_TOKEN_TTL,
  );
  return {
    accessToken,
    refreshToken: refresh.token,
    tokenType: 'Bearer',
    expiresIn: Math.floor(deps.env.ACCESS_TOKEN_TTL / 1000),
  };
}
