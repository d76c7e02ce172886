import type { Actor } from '@conduit/contracts';
import { keysetPage } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq, getTableColumns } from 'drizzle-orm';
import { sqlCredentials } from '../../../db/delivery-schema.js';
import type { AnalyticsDeps } from '../../../deps.js';
import { asViewer } from '../../access/viewer-scope.js';
import { checkTeamAccess } from '../team-access.js';
import { toSqlCredentialDto } from './sql-credential-dto.js';

/** A team's SQL credentials, newest first. Throws not_found outside the team. */
export async function listSqlCredentials(
  deps: AnalyticsDeps,
  actor: Actor,
  query: { teamId: string; limit: number; cursor?: string | undefined },
) {
  checkTeamAccess(actor, query.teamId, 'read');
  const page = keysetPage({ by: [sqlCredentials.createdAt, sqlCredentials.id], order: 'desc' }, query);
  return asViewer(deps.db, actor, async (tx) => {
    const rows = await tx
      .select({ ...getTableColumns(sqlCredentials), pageKey: page.key })
      .from(sqlCredentials)
      .where(and(eq(sqlCredentials.teamId, query.teamId), page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, toSqlCredentialDto);
  });
}

/** One credential (no password). Throws not_found for one the actor cannot see. */
export async function getSqlCredential(deps: AnalyticsDeps, actor: Actor, id: string) {
  const [row] = await asViewer(deps.db, actor, (tx) =>
    tx.select().from(sqlCredentials).where(eq(sqlCredentials.id, id)),
  );
  if (!row) throw new DomainError('not_found', 'Not found.');
  checkTeamAccess(actor, row.teamId, 'read', 'SQL credential');
  return toSqlCredentialDto(row);
}
