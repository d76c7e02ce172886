import type { Actor, TeamRole } from '@conduit/contracts';
import type { AnalyticsDeps } from '../../../deps.js';
import { asViewer } from '../../access/viewer-scope.js';
import type { ExplorationQuery } from '../compiler/exploration-query.js';
import type { ExplorationResult } from './exploration-result.js';
import { findExploration } from './find-exploration.js';
import { runQuery } from './run-query.js';

/**
 * Runs a saved exploration as the actor (any member of its team, viewers too). Throws not_found
 * for one they cannot see, and as runQuery does. Reports, alerts and charts call this.
 */
export async function runExploration(
  deps: AnalyticsDeps,
  actor: Actor,
  explorationId: string,
): Promise<ExplorationResult> {
  const exploration = await asViewer(deps.db, actor, (tx) => findExploration(tx, actor, explorationId));
  return runQuery(deps, actor, {
    dataschemaId: exploration.dataschemaId,
    query: exploration.playgroundState as ExplorationQuery,
  });
}

/**
 * Runs a saved exploration for work without a request (a report's or an alert's job): as the user
 * who set that work up, holding `role` in the team, so the built-in source shows what they would
 * see. Throws as runExploration does (not_found when the exploration is not the team's).
 */
export function runExplorationForTeam(
  deps: AnalyticsDeps,
  input: { teamId: string; userId: string; role: TeamRole; orgId?: string | null; explorationId: string },
): Promise<ExplorationResult> {
  const actor: Actor = {
    userId: input.userId,
    sessionId: null,
    orgId: input.orgId ?? null,
    teams: { [input.teamId]: input.role },
    permissions: [],
    platformAdmin: false,
  };
  return runExploration(deps, actor, input.explorationId);
}
