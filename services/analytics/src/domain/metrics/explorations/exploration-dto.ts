import { z } from 'zod';
import type { explorations } from '../../../db/schema.js';
import { type ExplorationQuery, explorationQuery } from '../compiler/exploration-query.js';

export const explorationDto = z.object({
  id: z.uuid(),
  teamId: z.uuid(),
  datasourceId: z.uuid(),
  dataschemaId: z.uuid(),
  name: z.string(),
  query: explorationQuery,
  createdBy: z.uuid(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ExplorationDto = z.input<typeof explorationDto>;
export type ExplorationRow = typeof explorations.$inferSelect;

export function toExplorationDto(row: ExplorationRow): ExplorationDto {
  return {
    id: row.id,
    teamId: row.teamId,
    datasourceId: row.datasourceId,
    dataschemaId: row.dataschemaId,
    name: row.name,
    query: row.playgroundState as ExplorationQuery,
    createdBy: row.userId,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
