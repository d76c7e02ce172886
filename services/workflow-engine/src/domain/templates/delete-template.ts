import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { eq } from 'drizzle-orm';
import { workflowTemplates } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';
import { loadTemplate } from './template-access.js';

/** Deletes a template of the caller's (never an official one). Throws as loadTemplate `write`. */
export async function deleteTemplate(deps: WorkflowDeps, actor: Actor, templateId: string) {
  await asActor(deps.db, actor, async (tx) => {
    await loadTemplate(tx, actor, templateId, 'write');
    await tx.delete(workflowTemplates).where(eq(workflowTemplates.id, templateId));
  });
}
