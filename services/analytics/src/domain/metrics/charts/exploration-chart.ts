import { rlsContext } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import type { AnalyticsDeps } from '../../../deps.js';
import { explorationChart } from '../deliveries/exploration-output.js';
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
