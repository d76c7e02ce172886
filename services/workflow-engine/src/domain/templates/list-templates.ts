import { asActor, can } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { keysetPage } from '@conduit/db';
import { and, eq, getTableColumns } from 'drizzle-orm';
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
  const page = keysetPage({ by: [workflowTemplates.id], order: 'asc' }, query);
  return asActor(deps.db, actor, async (tx) => {
    const rows = await tx
      .select({ ...getTableColumns(workflowTemplates), pageKey: page.key })
      .from(workflowTemplates)
      .where(
        and(
          page.after,
          query.category ? eq(workflowTemplates.category, query.category) : undefined,
          query.official === undefined ? undefined : eq(workflowTemplates.isOfficial, query.official),
        ),
      )
      .orderBy(...page.orderBy)
      .limit(page.limit);
    // The cursor follows the rows read, so a page thinned by the access check still leads on.
    const { items, nextCursor } = page.of(rows, (row) => row);
    return {
      items: items.filter((row) => canReadTemplate(actor, row)).map(toTemplateSummaryDto),
      nextCursor,
    };
  });
}
