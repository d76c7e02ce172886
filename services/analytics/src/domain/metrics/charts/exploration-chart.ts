import { rlsContext } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { type ActorContext, withActor } from '@conduit/db';
import { sql } from 'drizzle-orm';
import type { AnalyticsDeps } from '../../../deps.js';
import { asViewer } from '../../access/viewer-scope.js';
import { findExploration } from '../explorations/find-exploration.js';
import { runExploration } from '../explorations/run-exploration.js';
import type { ChartKind } from './chart-spec.js';
import { renderChartPng, renderChartSvg } from './render-chart.js';

/**
 * Runs an exploration as the actor and draws it as its saved chart kind (or `kind` when asked),
 * the same drawing reports and alerts deliver. Throws as runExploration does (not_found for an
 * exploration the actor cannot see).
 */
export async function drawExploration(
  deps: AnalyticsDeps,
  actor: Actor,
  explorationId: string,
  options: {
    format: 'svg' | 'png';
    kind?: ChartKind | undefined;
    width?: number | undefined;
    height?: number | undefined;
  },
): Promise<string | Buffer> {
  const result = await runExploration(deps, actor, explorationId);
  const kind = options.kind ?? (await explorationChart(deps, rlsContext(actor), explorationId));
  const chartOptions = { kind, width: options.width, height: options.height };
  return options.format === 'svg'
    ? renderChartSvg(result, chartOptions)
    : renderChartPng(result, chartOptions);
}

/**
 * Chooses how an exploration is drawn, in its chart routes and in every report and alert of it.
 * Throws not_found for an exploration the actor cannot see, forbidden for a viewer.
 */
export async function setExplorationChart(
  deps: AnalyticsDeps,
  actor: Actor,
  explorationId: string,
  kind: ChartKind,
) {
  await asViewer(deps.db, actor, async (tx) => {
    await findExploration(tx, actor, explorationId, 'explore');
    await tx.execute(
      sql`update analytics.explorations set chart = ${kind}, updated_at = now() where id = ${explorationId}`,
    );
  });
  return { explorationId, kind };
}

/** The chart kind saved on an exploration ('line' when it cannot be read). */
export async function explorationChart(
  deps: AnalyticsDeps,
  reader: ActorContext,
  explorationId: string,
): Promise<ChartKind> {
  const rows = (await withActor(deps.db, reader, (tx) =>
    tx.execute(sql`select chart from analytics.explorations where id = ${explorationId}`),
  )) as unknown as { chart: ChartKind }[];
  return rows[0]?.chart ?? 'line';
}
