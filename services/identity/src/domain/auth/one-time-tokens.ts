import type { Transaction } from '@conduit/db';
import { uuidv7, withActor } from '@conduit/db';
import { and, eq, gt, isNull } from 'drizzle-orm';
import { passwordResets, userLoginTokens } from '../../db/schema.js';
import type { ClientInfo, IdentityDeps } from '../../deps.js';
import { recordActivity } from '../audit-trail/record-activity.js';
import { type IdentityMail, queueIdentityMail } from '../mail/identity-mail.js';
import { hashOpaqueToken, newOpaqueToken } from '../tokens/opaque-token.js';
import { findLogin, findTokenOwner } from './find-login.js';

const tables = { reset: passwordResets, login: userLoginTokens } as const;
export type OneTimeKind = keyof typeof tables;

/**
 * Issues a one-time token for an active account and mails it (the mail queued with the token).
 * Resolves the same way, the mail left to the background, whether or not the account exists, so
 * the answer reveals nothing.
 */
export async function issueOneTimeToken(
  deps: IdentityDeps,
  kind: OneTimeKind,
  email: string,
  client: ClientInfo,
  mail: (token: string) => Pick<IdentityMail, 'template' | 'variables'>,
): Promise<void> {
  const record = await findLogin(deps.db, email);
  if (!record?.active) return;
  const table = tables[kind];
  const { token, hash } = newOpaqueToken();
  const ttl = kind === 'reset' ? deps.env.PASSWORD_RESET_TTL : deps.env.LOGIN_TOKEN_TTL;
  const sendMail = await withActor(deps.db, { userId: record.user_id }, async (tx) => {
    await tx.insert(table).values({
      id: uuidv7(),
      userId: record.user_id,
      tokenHash: hash,
      requestedIp: client.ip,
      expiresAt: new Date(Date.now() + ttl),
    });
    if (kind === 'reset')
      await recordActivity(tx, { userId: record.user_id, type: 'password_reset_requested', client });
    return queueIdentityMail(deps, tx, { to: email, userId: record.user_id, ...mail(token) });
  });
  sendMail();
}

/**
 * Spends a one-time token and runs `then` as its owner in the same transaction. Resolves undefined
 * when the token is unknown, expired or already used; concurrent redemptions spend it once.
 */
export async function redeemOneTimeToken<T>(
  deps: IdentityDeps,
  kind: OneTimeKind,
  token: string,
  then: (tx: Transaction, userId: string) => Promise<T>,
): Promise<T | undefined> {
  const hash = hashOpaqueToken(token);
  const userId = await findTokenOwner(deps.db, kind, hash);
  if (!userId) return undefined;
  const table = tables[kind];
  return withActor(deps.db, { userId }, async (tx) => {
    const spent = await tx
      .update(table)
      .set({ usedAt: new Date() })
      .where(and(eq(table.tokenHash, hash), isNull(table.usedAt), gt(table.expiresAt, new Date())))
      .returning({ id: table.id });
    if (spent.length === 0) return undefined;
    return then(tx, userId);
  });
}
