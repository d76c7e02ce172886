import { can } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { eq } from 'drizzle-orm';
import { workflowTemplates } from '../../db/schema.js';
import type { TemplateRow } from './template-dto.js';

const ref = (row: TemplateRow) => ({ ownerUserId: row.userId, teamId: row.teamId });

/** Official templates are read by anyone signed in who may read workflows; others by their owners. */
export const canReadTemplate = (actor: Actor, row: TemplateRow) =>
  row.isOfficial ? can(actor, 'workflows.read') : can(actor, 'workflows.read', ref(row));

/**
 * The template, if the actor may read it (`read`) or change it (`write`: never an official one).
 * Throws not_found when they may not read it, forbidden when they may read but not change it.
 */
export async function loadTemplate(
  tx: Transaction,
  actor: Actor,
  templateId: string,
  need: 'read' | 'write',
): Promise<TemplateRow> {
  const [row] = await tx.select().from(workflowTemplates).where(eq(workflowTemplates.id, templateId));
  if (!row || !canReadTemplate(actor, row)) throw new DomainError('not_found', 'No such template.');
  if (need === 'write' && (row.isOfficial || !can(actor, 'workflows.write', ref(row))))
    throw new DomainError('forbidden', 'You may use this template but not change it.');
  return row;
}
