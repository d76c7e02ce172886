import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import type { WorkflowDeps } from '../../deps.js';
import { loadTemplate } from './template-access.js';
import { toTemplateDto } from './template-dto.js';

/** One template with its workflow document. Throws not_found unless the caller may read it. */
export function getTemplate(deps: WorkflowDeps, actor: Actor, templateId: string) {
  return asActor(deps.db, actor, async (tx) =>
    toTemplateDto(await loadTemplate(tx, actor, templateId, 'read')),
  );
}
