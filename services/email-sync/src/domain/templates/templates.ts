import { asActor, can } from '@conduit/auth';
import type { Actor, Permission } from '@conduit/contracts';
import { keysetPage, type PageRequest, type Transaction, uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq } from 'drizzle-orm';
import { emailTemplates } from '../../db/schema.js';
import type { MailDeps } from '../../deps.js';
import { toOutboundDto } from '../sending/outbound-dto.js';
import { queueSend, writePaidOutbound } from '../sending/queue-outbound.js';
import { fromAccount, outboundOwner, sendingAccount } from '../sending/send-message.js';
import { releasingOnFailure } from '../sending/sending-usage.js';
import { renderTemplate, type TemplateValues } from '../template-rendering/render-template.js';
import { type TemplateRow, toTemplateDto } from './template-dto.js';
import type { CreateTemplateInput, SendTemplateInput, UpdateTemplateInput } from './template-input.js';

/** A system template (`key` set) is read by everyone with email.read and changed by the platform admin. */
const templateRef = (row: Pick<TemplateRow, 'userId' | 'teamId' | 'key'>) =>
  row.key ? undefined : { ownerUserId: row.userId, teamId: row.teamId };

function mayUse(actor: Actor, permission: Permission, row: TemplateRow) {
  if (row.key && permission !== 'email.read') return actor.platformAdmin;
  return can(actor, permission, templateRef(row));
}

/** The template, when the actor may use `permission` on it; not_found / forbidden otherwise. */
async function templateFor(tx: Transaction, actor: Actor, templateId: string, permission: Permission) {
  const [row] = await tx.select().from(emailTemplates).where(eq(emailTemplates.id, templateId));
  if (!row || !mayUse(actor, 'email.read', row))
    throw new DomainError('not_found', 'No such template among yours.');
  if (!mayUse(actor, permission, row))
    throw new DomainError('forbidden', 'Your role does not let you do this with this template.');
  return row;
}

/** A template of the caller's, or of one of their teams (needs email.write there). */
export async function createTemplate(deps: MailDeps, actor: Actor, input: CreateTemplateInput) {
  const { teamId } = input;
  if (teamId && !actor.platformAdmin && actor.teams[teamId] === undefined)
    throw new DomainError('not_found', 'No such team among yours.');
  if (!can(actor, 'email.write', teamId ? { teamId } : undefined))
    throw new DomainError('forbidden', 'Your role does not let you create templates here.');
  return asActor(deps.db, actor, async (tx) => {
    const [row] = await tx
      .insert(emailTemplates)
      .values({
        id: uuidv7(),
        organizationId: actor.orgId,
        userId: actor.userId,
        teamId: teamId ?? null,
        name: input.name,
        subject: input.subject,
        htmlBody: input.html ?? null,
        textBody: input.text ?? null,
        sampleValues: input.sampleValues,
      })
      .returning();
    return toTemplateDto(row!);
  });
}

/** Templates the caller may read (theirs, their teams', the system's), newest first. */
export async function listTemplates(deps: MailDeps, actor: Actor, page: PageRequest) {
  if (!can(actor, 'email.read')) return { items: [], nextCursor: null };
  const keyset = keysetPage({ by: [emailTemplates.id], order: 'desc' }, page);
  const result = await asActor(deps.db, actor, async (tx) => {
    const rows = await tx
      .select({ row: emailTemplates, pageKey: keyset.key })
      .from(emailTemplates)
      .where(and(keyset.after))
      .orderBy(...keyset.orderBy)
      .limit(keyset.limit);
    return keyset.of(rows, ({ row }) => (mayUse(actor, 'email.read', row) ? toTemplateDto(row) : null));
  });
  return { items: result.items.filter((item) => item !== null), nextCursor: result.nextCursor };
}

export const getTemplate = (deps: MailDeps, actor: Actor, templateId: string) =>
  asActor(deps.db, actor, async (tx) =>
    toTemplateDto(await templateFor(tx, actor, templateId, 'email.read')),
  );

export const updateTemplate = (
  deps: MailDeps,
  actor: Actor,
  templateId: string,
  input: UpdateTemplateInput,
) =>
  asActor(deps.db, actor, async (tx) => {
    const template = await templateFor(tx, actor, templateId, 'email.write');
    const subject = input.subject ?? template.subject;
    const htmlBody = input.html !== undefined ? input.html : template.htmlBody;
    const textBody = input.text !== undefined ? input.text : template.textBody;
    if (htmlBody === null && textBody === null)
      throw new DomainError('unprocessable', 'A template needs an HTML or a text body (or both).');
    const [row] = await tx
      .update(emailTemplates)
      .set({
        ...(input.name !== undefined && { name: input.name }),
        subject,
        htmlBody,
        textBody,
        ...(input.sampleValues !== undefined && { sampleValues: input.sampleValues }),
        updatedAt: new Date(),
      })
      .where(eq(emailTemplates.id, template.id))
      .returning();
    return toTemplateDto(row!);
  });

export const deleteTemplate = (deps: MailDeps, actor: Actor, templateId: string) =>
  asActor(deps.db, actor, async (tx) => {
    await templateFor(tx, actor, templateId, 'email.write');
    await tx.delete(emailTemplates).where(eq(emailTemplates.id, templateId));
  });

/** The template rendered with its sample values, overridden by `values`; what stayed empty is `missing`. */
export const previewTemplate = (deps: MailDeps, actor: Actor, templateId: string, values: TemplateValues) =>
  asActor(deps.db, actor, async (tx) => {
    const template = await templateFor(tx, actor, templateId, 'email.read');
    return renderTemplate(template, { ...(template.sampleValues as TemplateValues), ...values });
  });

/**
 * Sends a template rendered with `values` (sample values fill what they leave out) from one of
 * the caller's accounts, as `sendMessage` does. Throws unprocessable naming the variables that
 * would stay empty.
 */
export async function sendTemplate(
  deps: MailDeps,
  actor: Actor,
  templateId: string,
  input: SendTemplateInput,
) {
  const { row, created } = await releasingOnFailure(deps, (charges) =>
    asActor(deps.db, actor, async (tx) => {
      const template = await templateFor(tx, actor, templateId, 'email.read');
      const account = await sendingAccount(tx, actor, input.accountId);
      const rendered = renderTemplate(template, {
        ...(template.sampleValues as TemplateValues),
        ...input.values,
      });
      if (rendered.missing.length > 0)
        throw new DomainError(
          'unprocessable',
          `No value for ${rendered.missing.map((name) => `{{${name}}}`).join(', ')}.`,
        );
      return writePaidOutbound(
        deps,
        tx,
        {
          owner: outboundOwner(actor, account),
          accountId: account.id,
          source: 'template',
          templateId: template.id,
          from: fromAccount(account),
          to: input.to,
          cc: input.cc,
          bcc: input.bcc,
          subject: rendered.subject,
          text: rendered.text ?? '',
          html: rendered.html,
          idempotencyKey: input.idempotencyKey ?? null,
          ...(input.sendAt ? { sendAt: new Date(input.sendAt) } : {}),
        },
        { charges, refusal: 'throw' },
      );
    }),
  );
  if (created) await queueSend(deps, row);
  return toOutboundDto(row);
}
