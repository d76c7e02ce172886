import { asActor, can } from '@conduit/auth';
import type { Actor, Permission } from '@conduit/contracts';
import { keysetPage, type PageRequest, type Transaction, uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq } from 'drizzle-orm';
import { emailDrafts } from '../../db/schema.js';
import type { MailDeps } from '../../deps.js';
import { accountFor } from '../accounts/account-access.js';
import { toOutboundDto } from '../sending/outbound-dto.js';
import { queueSend, writePaidOutbound } from '../sending/queue-outbound.js';
import { replyHeaders } from '../sending/reply-headers.js';
import { fromAccount, outboundOwner, sendingAccount } from '../sending/send-message.js';
import { releasingOnFailure } from '../sending/sending-usage.js';
import { type DraftRow, draftAttachments, toDraftDto } from './draft-dto.js';
import type { CreateDraftInput, SendDraftInput, UpdateDraftInput } from './draft-input.js';

const draftRef = (row: Pick<DraftRow, 'userId' | 'teamId'>) => ({
  ownerUserId: row.userId,
  teamId: row.teamId,
});

/**
 * The draft, when the actor may use `permission` on it: not_found when they may not see it,
 * forbidden when they see it but may not do this (a team viewer editing a team draft).
 */
async function draftFor(tx: Transaction, actor: Actor, draftId: string, permission: Permission) {
  const [row] = await tx.select().from(emailDrafts).where(eq(emailDrafts.id, draftId));
  if (!row || !can(actor, 'email.read', draftRef(row)))
    throw new DomainError('not_found', 'No such draft among yours.');
  if (!can(actor, permission, draftRef(row)))
    throw new DomainError('forbidden', 'Your role does not let you do this with this draft.');
  if (permission === 'email.read') return row;
  // Locked for the change only once it is known to be allowed (a viewer may read, not lock).
  const [locked] = await tx.select().from(emailDrafts).where(eq(emailDrafts.id, draftId)).for('update');
  if (!locked) throw new DomainError('not_found', 'No such draft among yours.');
  return locked;
}

/**
 * Starts a draft on an account the caller may write with (theirs, or their team's: the draft is
 * then the team's too). A reply's In-Reply-To and References are fixed now from the message it
 * answers. Throws not_found / forbidden as `accountFor` does.
 */
export const createDraft = (deps: MailDeps, actor: Actor, input: CreateDraftInput) =>
  asActor(deps.db, actor, async (tx) => {
    const account = await accountFor(tx, actor, input.accountId, 'email.write');
    const reply = await replyHeaders(tx, account.id, input.inReplyToMessageId);
    const [row] = await tx
      .insert(emailDrafts)
      .values({
        id: uuidv7(),
        organizationId: actor.orgId,
        userId: actor.userId,
        teamId: account.teamId,
        accountId: account.id,
        toAddresses: input.to,
        ccAddresses: input.cc,
        bccAddresses: input.bcc,
        subject: input.subject,
        body: input.text,
        htmlBody: input.html ?? null,
        attachments: input.attachments,
        inReplyToMessageId: input.inReplyToMessageId ?? null,
        ...reply,
      })
      .returning();
    return toDraftDto(row!);
  });

/** The drafts the caller may read (theirs, their teams'), newest first; optionally of one account. */
export async function listDrafts(deps: MailDeps, actor: Actor, query: PageRequest & { accountId?: string }) {
  if (!can(actor, 'email.read')) return { items: [], nextCursor: null };
  const keyset = keysetPage({ by: [emailDrafts.id], order: 'desc' }, query);
  const page = await asActor(deps.db, actor, async (tx) => {
    const rows = await tx
      .select({ row: emailDrafts, pageKey: keyset.key })
      .from(emailDrafts)
      .where(and(keyset.after, query.accountId ? eq(emailDrafts.accountId, query.accountId) : undefined))
      .orderBy(...keyset.orderBy)
      .limit(keyset.limit);
    return keyset.of(rows, ({ row }) => (can(actor, 'email.read', draftRef(row)) ? toDraftDto(row) : null));
  });
  return { items: page.items.filter((item) => item !== null), nextCursor: page.nextCursor };
}

export const getDraft = (deps: MailDeps, actor: Actor, draftId: string) =>
  asActor(deps.db, actor, async (tx) => toDraftDto(await draftFor(tx, actor, draftId, 'email.read')));

/** Changes a draft; a new `inReplyToMessageId` fixes its reply headers anew. */
export const updateDraft = (deps: MailDeps, actor: Actor, draftId: string, input: UpdateDraftInput) =>
  asActor(deps.db, actor, async (tx) => {
    const draft = await draftFor(tx, actor, draftId, 'email.write');
    const reply =
      input.inReplyToMessageId === undefined
        ? {}
        : input.inReplyToMessageId === null
          ? { inReplyToMessageId: null, inReplyTo: null, references: [] }
          : {
              inReplyToMessageId: input.inReplyToMessageId,
              ...(await replyHeaders(tx, draft.accountId, input.inReplyToMessageId)),
            };
    const [row] = await tx
      .update(emailDrafts)
      .set({
        ...(input.to && { toAddresses: input.to }),
        ...(input.cc && { ccAddresses: input.cc }),
        ...(input.bcc && { bccAddresses: input.bcc }),
        ...(input.subject !== undefined && { subject: input.subject }),
        ...(input.text !== undefined && { body: input.text }),
        ...(input.html !== undefined && { htmlBody: input.html }),
        ...(input.attachments && { attachments: input.attachments }),
        ...reply,
        updatedAt: new Date(),
      })
      .where(eq(emailDrafts.id, draft.id))
      .returning();
    return toDraftDto(row!);
  });

export const deleteDraft = (deps: MailDeps, actor: Actor, draftId: string) =>
  asActor(deps.db, actor, async (tx) => {
    await draftFor(tx, actor, draftId, 'email.write');
    await tx.delete(emailDrafts).where(eq(emailDrafts.id, draftId));
  });

/**
 * Sends a draft: the message goes into the outbound table and the draft is removed, in one
 * transaction, then the worker sends it at `sendAt` or now. Needs `email.send` on the account.
 * Throws unprocessable for a draft without recipients, limit_reached (402, the draft is kept) when
 * the plan's mail is used up (one emails_sent per recipient).
 */
export async function sendDraft(deps: MailDeps, actor: Actor, draftId: string, input: SendDraftInput) {
  const row = await releasingOnFailure(deps, (charges) =>
    asActor(deps.db, actor, async (tx) => {
      const draft = await draftFor(tx, actor, draftId, 'email.send');
      const account = await sendingAccount(tx, actor, draft.accountId);
      if (draft.toAddresses.length + draft.ccAddresses.length + draft.bccAddresses.length === 0)
        throw new DomainError('unprocessable', 'This draft has no recipients yet.');
      const { row } = await writePaidOutbound(
        deps,
        tx,
        {
          owner: outboundOwner(actor, account),
          accountId: account.id,
          source: 'draft',
          draftId: draft.id,
          from: fromAccount(account),
          to: draft.toAddresses,
          cc: draft.ccAddresses,
          bcc: draft.bccAddresses,
          subject: draft.subject,
          text: draft.body,
          html: draft.htmlBody,
          attachments: draftAttachments(draft),
          inReplyTo: draft.inReplyTo,
          references: draft.references,
          ...(input.sendAt ? { sendAt: new Date(input.sendAt) } : {}),
        },
        { charges, refusal: 'throw' },
      );
      await tx.delete(emailDrafts).where(eq(emailDrafts.id, draft.id));
      return row;
    }),
  );
  await queueSend(deps, row);
  return toOutboundDto(row);
}
