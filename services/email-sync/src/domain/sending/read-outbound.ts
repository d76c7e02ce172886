import { asActor, can } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { keysetPage, type PageRequest } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq } from 'drizzle-orm';
import { emailOutbound } from '../../db/schema.js';
import type { MailDeps } from '../../deps.js';
import { type OutboundRow, toOutboundDto } from './outbound-dto.js';
import { chargeOf, releaseSending } from './sending-usage.js';

const outboundRef = (row: Pick<OutboundRow, 'userId' | 'teamId'>) => ({
  ownerUserId: row.userId,
  teamId: row.teamId,
});

/** Outbound mail the caller may read (theirs, their teams'), newest first; optionally of one account. */
export async function listOutbound(
  deps: MailDeps,
  actor: Actor,
  query: PageRequest & { accountId?: string },
) {
  if (!can(actor, 'email.read')) return { items: [], nextCursor: null };
  const keyset = keysetPage({ by: [emailOutbound.id], order: 'desc' }, query);
  const page = await asActor(deps.db, actor, async (tx) => {
    const rows = await tx
      .select({ row: emailOutbound, pageKey: keyset.key })
      .from(emailOutbound)
      .where(and(keyset.after, query.accountId ? eq(emailOutbound.accountId, query.accountId) : undefined))
      .orderBy(...keyset.orderBy)
      .limit(keyset.limit);
    return keyset.of(rows, ({ row }) =>
      can(actor, 'email.read', outboundRef(row)) ? toOutboundDto(row) : null,
    );
  });
  return { items: page.items.filter((item) => item !== null), nextCursor: page.nextCursor };
}

/** The outbound message, when the actor may use `permission` on it; not_found / forbidden otherwise. */
export async function outboundFor(
  tx: Parameters<Parameters<typeof asActor>[2]>[0],
  actor: Actor,
  outboundId: string,
  permission: 'email.read' | 'email.send',
) {
  const [row] = await tx.select().from(emailOutbound).where(eq(emailOutbound.id, outboundId));
  if (!row || !can(actor, 'email.read', outboundRef(row)))
    throw new DomainError('not_found', 'No such outbound message among yours.');
  if (!can(actor, permission, outboundRef(row)))
    throw new DomainError('forbidden', 'Your role does not let you do this with this message.');
  if (permission === 'email.read') return row;
  // Locked for the change only once it is known to be allowed (a viewer may read, not lock).
  const [locked] = await tx
    .select()
    .from(emailOutbound)
    .where(eq(emailOutbound.id, outboundId))
    .for('update');
  if (!locked) throw new DomainError('not_found', 'No such outbound message among yours.');
  return locked;
}

/** One outbound message with where it stands. */
export const getOutbound = (deps: MailDeps, actor: Actor, outboundId: string) =>
  asActor(deps.db, actor, async (tx) =>
    toOutboundDto(await outboundFor(tx, actor, outboundId, 'email.read')),
  );

/**
 * Cancels a message that has not gone yet (a scheduled one): its job finds it canceled and does
 * nothing, and the emails_sent it reserved are given back. Throws conflict once it is being sent,
 * sent or failed.
 */
export async function cancelOutbound(deps: MailDeps, actor: Actor, outboundId: string) {
  const { canceled, charge } = await asActor(deps.db, actor, async (tx) => {
    const row = await outboundFor(tx, actor, outboundId, 'email.send');
    if (row.status !== 'queued')
      throw new DomainError('conflict', `This message is ${row.status}: only a queued one can be canceled.`);
    const charge = chargeOf(row);
    const [canceled] = await tx
      .update(emailOutbound)
      .set({ status: 'canceled', updatedAt: new Date(), ...(charge ? { usageReleasedAt: new Date() } : {}) })
      .where(eq(emailOutbound.id, outboundId))
      .returning();
    return { canceled: canceled!, charge };
  });
  if (charge) await releaseSending(deps, charge);
  return toOutboundDto(canceled);
}
