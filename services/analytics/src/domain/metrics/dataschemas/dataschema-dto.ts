import { z } from 'zod';
import type { dataschemas } from '../../../db/schema.js';
import { type CubeFile, membersOf, schemaFormats } from '../cubes/cube-schema.js';

export const schemaMemberDto = z.object({
  name: z.string(),
  kind: z.enum(['measure', 'dimension', 'segment']),
  type: z.string(),
  title: z.string(),
});

/** A data schema as answered: its latest version's code and the members it defines. */
export const dataschemaDto = z.object({
  id: z.uuid(),
  teamId: z.uuid(),
  datasourceId: z.uuid(),
  name: z.string(),
  version: z.number().int(),
  format: z.enum(schemaFormats),
  code: z.string(),
  members: z.array(schemaMemberDto),
  createdBy: z.uuid(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type DataschemaDto = z.infer<typeof dataschemaDto>;
export type DataschemaRow = typeof dataschemas.$inferSelect;

export function toDataschemaDto(row: DataschemaRow): DataschemaDto {
  return {
    id: row.id,
    teamId: row.teamId,
    datasourceId: row.datasourceId,
    name: row.name,
    version: row.version,
    format: row.format,
    code: row.code,
    members: membersOf(row.cubes as CubeFile),
    createdBy: row.userId,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export const dataschemaVersionDto = z.object({
  version: z.number().int(),
  format: z.enum(schemaFormats),
  code: z.string(),
  members: z.array(schemaMemberDto),
  savedBy: z.uuid(),
  savedAt: z.string(),
});
