import type { Database } from '@conduit/db';
import { withActor } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { eq, inArray } from 'drizzle-orm';
import { integrations, userIntegrations } from '../../db/schema.js';
import { httpKinds } from '../integrations/connection-http.js';
import { type ConnectionUser, usableBy } from '../integrations/open-connection.js';
import type { WorkflowDocument } from './workflow-document.js';

/** Every connection a node names (`config.connectionId`). */
export function connectionReferences(document: WorkflowDocument) {
  const found: { node: number; id: string; path: string }[] = [];
  document.nodes.forEach((node, i) => {
    const id = (node.config as { connectionId?: unknown } | null)?.connectionId;
    if (typeof id === 'string') found.push({ node: i, id, path: `nodes.${i}.config.connectionId` });
  });
  return found;
}

/**
 * A workflow may name only connections its owner may use (usableBy: own, team's, shared with the
 * team), active, of a kind that can authorize an HTTP request. Read as the owner, whoever saves
 * (an edit share holder saving the owner's workflow): the worker checks again as the owner when it
 * runs. Throws unprocessable naming each reference that is not usable.
 */
export async function checkConnectionReferences(
  db: Database,
  owner: ConnectionUser & { orgId?: string | null },
  document: WorkflowDocument,
): Promise<void> {
  const references = connectionReferences(document);
  if (!references.length) return;
  const teams = owner.teamId ? [owner.teamId] : [];
  const rows = await withActor(
    db,
    { userId: owner.userId, orgId: owner.orgId ?? null, teamIds: teams, writableTeamIds: teams },
    (tx) =>
      tx
        .select({
          id: userIntegrations.id,
          userId: userIntegrations.userId,
          teamId: userIntegrations.teamId,
          sharedTeamIds: userIntegrations.sharedTeamIds,
          isActive: userIntegrations.isActive,
          kind: integrations.kind,
        })
        .from(userIntegrations)
        .innerJoin(integrations, eq(integrations.id, userIntegrations.integrationId))
        .where(inArray(userIntegrations.id, [...new Set(references.map((r) => r.id))])),
  );
  const byId = new Map(rows.map((row) => [row.id, row]));
  const problems = references.flatMap((reference) => {
    const row = byId.get(reference.id);
    const name = document.nodes[reference.node]!.name;
    if (!row || !usableBy(row, owner))
      return [
        {
          path: reference.path,
          message: `node "${name}": no connection this workflow's owner may use has this id`,
        },
      ];
    if (!row.isActive)
      return [{ path: reference.path, message: `node "${name}": the connection is switched off` }];
    if (!httpKinds.has(row.kind))
      return [
        {
          path: reference.path,
          message: `node "${name}": a ${row.kind} connection cannot authorize an HTTP request`,
        },
      ];
    return [];
  });
  if (problems.length)
    throw new DomainError('unprocessable', 'The workflow names connections it may not use.', {
      fields: { errors: problems },
    });
}
