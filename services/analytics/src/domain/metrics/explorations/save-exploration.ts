import type { Actor } from '@conduit/contracts';
import { uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { eq, sql } from 'drizzle-orm';
import { explorations } from '../../../db/schema.js';
import type { AnalyticsDeps } from '../../../deps.js';
import { asViewer } from '../../access/viewer-scope.js';
import type { ExplorationQuery } from '../compiler/exploration-query.js';
import { findDataschema } from '../dataschemas/find-dataschema.js';
import { mayTeam } from '../team-access.js';
import { toExplorationDto } from './exploration-dto.js';
import { findExploration } from './find-exploration.js';
import { compileFor } from './run-query.js';

export interface NewExploration {
  dataschemaId: string;
  name: string;
  query: ExplorationQuery;
}

const mayExplore = (actor: Actor, teamId: string) => {
  if (!mayTeam(actor, teamId, 'explore'))
    throw new DomainError('forbidden', "Viewers read a team's explorations but do not save them.");
};

/**
 * Saves a query of a data schema as an exploration of the schema's team, after compiling it once
 * (a query that names what the schema lacks is refused now, not when a report runs). Throws
 * not_found for a schema the actor cannot see, forbidden for a team viewer, bad_request /
 * unprocessable for a query that does not fit the schema.
 */
export async function createExploration(deps: AnalyticsDeps, actor: Actor, input: NewExploration) {
  return asViewer(deps.db, actor, async (tx) => {
    const schema = await findDataschema(tx, actor, input.dataschemaId);
    mayExplore(actor, schema.teamId);
    compileFor(deps, schema, input.query);
    const [row] = await tx
      .insert(explorations)
      .values({
        id: uuidv7(),
        teamId: schema.teamId,
        datasourceId: schema.datasourceId,
        dataschemaId: schema.id,
        userId: actor.userId,
        name: input.name,
        playgroundState: input.query,
      })
      .returning();
    return toExplorationDto(row!);
  });
}

/** Renames an exploration or replaces its query (compiled once first). Throws as createExploration does. */
export async function updateExploration(
  deps: AnalyticsDeps,
  actor: Actor,
  id: string,
  change: { name?: string | undefined; query?: ExplorationQuery | undefined },
) {
  return asViewer(deps.db, actor, async (tx) => {
    const current = await findExploration(tx, actor, id, 'explore');
    if (change.query) compileFor(deps, await findDataschema(tx, actor, current.dataschemaId), change.query);
    const [row] = await tx
      .update(explorations)
      .set({
        ...(change.name !== undefined && { name: change.name }),
        ...(change.query !== undefined && { playgroundState: change.query }),
        updatedAt: sql`now()`,
      })
      .where(eq(explorations.id, id))
      .returning();
    return toExplorationDto(row!);
  });
}

/** Deletes an exploration. Throws not_found for one the actor cannot see, forbidden for a viewer. */
export async function deleteExploration(deps: AnalyticsDeps, actor: Actor, id: string) {
  await asViewer(deps.db, actor, async (tx) => {
    await findExploration(tx, actor, id, 'explore');
    await tx.delete(explorations).where(eq(explorations.id, id));
  });
}
