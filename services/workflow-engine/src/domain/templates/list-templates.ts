import { asActor, can } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { and, asc, eq, gt } from 'drizzle-orm';
import { workflowTemplates } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';
import { canReadTemplate } from './template-access.js';
import { toTemplateSummaryDto } from './template-dto.js';

/** The templates the caller may use: the official ones, their own and their teams'; by category. */
export async function listTemplates(
  deps: WorkflowDeps,
  actor: Actor,
  query: {
    limit: number;
    cursor?: string | undefined;
    category?: string | undefined;
    official?: boolean | undefined;
  },
) {
  if (!can(actor, 'workflows.read')) return { items: [], nextCursor: null };
  return asActor(deps.db, actor, async (tx) => {
    const rows = await tx
      .select()
      .from(workflowTemplates)
      .where(
        and(
          query.cursor ? gt(workflowTemplates.id, query.cursor) : undefined,
          query.category ? eq(workflowTemplates.category, query.category) : undefined,
          query.official === undefined ? undefined : eq(workflowTemplates.isOfficial, query.official),
        ),
      )
      .orderBy(asc(workflowTemplates.id))
      .limit(query.limit + 1);
    const page = rows.slice(0, query.limit);
    return {
      items: page.filter((row) => canReadTemplate(actor, row)).map(toTemplateSummaryDto),
      nextCursor: rows.length > query.limit ? page.at(-1)!.id : null,
    };
  });
}
