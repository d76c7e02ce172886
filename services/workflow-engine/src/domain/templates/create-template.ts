import { asActor, can } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { workflowTemplates } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';
import { validateGraph } from '../workflows/validate-graph.js';
import type { WorkflowDocument } from '../workflows/workflow-document.js';
import { toTemplateDto } from './template-dto.js';

/**
 * Saves a workflow document as a template of the caller's (or of one of their teams). Throws
 * forbidden without `workflows.write` there, not_found for a team they are not in, unprocessable
 * for a graph that does not hold together (a template must be usable as it is).
 */
export async function createTemplate(
  deps: WorkflowDeps,
  actor: Actor,
  input: {
    name: string;
    description: string | null;
    category: string;
    document: WorkflowDocument;
    teamId?: string | undefined;
  },
) {
  const { teamId } = input;
  if (teamId && !actor.platformAdmin && actor.teams[teamId] === undefined)
    throw new DomainError('not_found', 'No such team among yours.');
  if (!can(actor, 'workflows.write', teamId ? { teamId } : undefined))
    throw new DomainError('forbidden', 'Your role does not let you create templates here.');
  const document = validateGraph(input.document);
  return asActor(deps.db, actor, async (tx) => {
    const [row] = await tx
      .insert(workflowTemplates)
      .values({
        id: uuidv7(),
        userId: actor.userId,
        teamId: teamId ?? null,
        name: input.name,
        description: input.description,
        category: input.category,
        // A template starts drafts: never public, never active by itself.
        templateData: { ...document, status: 'draft', isPublic: false },
        isOfficial: false,
      })
      .returning();
    return toTemplateDto(row!);
  });
}
