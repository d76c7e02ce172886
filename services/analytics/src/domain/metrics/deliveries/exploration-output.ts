import type { TeamRole } from '@conduit/contracts';
import type { AnalyticsDeps } from '../../../deps.js';
import type { ChartKind } from '../charts/chart-spec.js';
import { explorationChart } from '../charts/exploration-chart.js';
import type { ExplorationResult } from '../explorations/exploration-result.js';
import { runExplorationForTeam } from '../explorations/run-exploration.js';

/** Who set the work up: the exploration runs as they would see it, in their current role. */
export interface WorkOwner {
  teamId: string;
  userId: string;
  /** Their role in the team now (creatorAuthority), never the one they had when setting it up. */
  role: TeamRole;
  organizationId: string | null;
  explorationId: string;
}

/**
 * Runs the exploration of a report or an alert and reads how it is drawn (its `chart` setting),
 * so every delivery shows the same chart as the exploration's chart routes. Throws as
 * runExploration does.
 */
export async function explorationOutput(
  deps: AnalyticsDeps,
  owner: WorkOwner,
): Promise<{ result: ExplorationResult; chart: ChartKind }> {
  const result = await runExplorationForTeam(deps, {
    teamId: owner.teamId,
    userId: owner.userId,
    role: owner.role,
    orgId: owner.organizationId,
    explorationId: owner.explorationId,
  });
  const reader = { userId: owner.userId, teamIds: [owner.teamId], writableTeamIds: [owner.teamId] };
  return { result, chart: await explorationChart(deps, reader, owner.explorationId) };
}
