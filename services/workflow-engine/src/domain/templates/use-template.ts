import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { sql } from 'drizzle-orm';
import type { WorkflowDeps } from '../../deps.js';
import { createWorkflow } from '../workflows/create-workflow.js';
import { loadTemplate } from './template-access.js';
import { templateDocument } from './template-dto.js';

/**
 * Creates a draft workflow of the caller's (or of one of their teams) from a template and counts
 * the use. Throws not_found unless the caller may read the template, and as createWorkflow.
 */
export async function useTemplate(
  deps: WorkflowDeps,
  actor: Actor,
  templateId: string,
  input: { name?: string | undefined; teamId?: string | undefined },
) {
  const template = await asActor(deps.db, actor, (tx) => loadTemplate(tx, actor, templateId, 'read'));
  const document = templateDocument(template);
  return createWorkflow(
    deps,
    actor,
    {
      ...document,
      name: input.name ?? document.name,
      status: 'draft',
      isPublic: false,
      teamId: input.teamId,
    },
    // Counted in the transaction that creates the workflow: one use, one count.
    (tx) => tx.execute(sql`select workflow.count_template_use(${templateId})`),
  );
}
