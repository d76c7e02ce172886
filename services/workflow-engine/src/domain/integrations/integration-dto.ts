import { z } from 'zod';
import type { integrations, userIntegrations } from '../../db/schema.js';
import { type ConfigSchema, maskedConfig } from './config-schema.js';

export type IntegrationRow = typeof integrations.$inferSelect;
export type ConnectionRow = typeof userIntegrations.$inferSelect;

/** A catalog entry as the API shows it. */
export const integrationDto = z.object({
  id: z.uuid(),
  key: z.string(),
  name: z.string(),
  category: z.string(),
  description: z.string(),
  kind: z.string(),
  configSchema: z.record(z.string(), z.unknown()),
  isActive: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const toIntegrationDto = (row: IntegrationRow): z.output<typeof integrationDto> => ({
  id: row.id,
  key: row.key,
  name: row.name,
  category: row.category,
  description: row.description,
  kind: row.kind,
  configSchema: row.configSchema as Record<string, unknown>,
  isActive: row.isActive,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

/** A connection as the API shows it: its secret fields masked, never their values. */
export const connectionDto = z.object({
  id: z.uuid(),
  integrationId: z.uuid(),
  integrationKey: z.string(),
  kind: z.string(),
  name: z.string(),
  config: z.record(z.string(), z.unknown()),
  secretFields: z.array(z.string()),
  ownerUserId: z.uuid(),
  teamId: z.uuid().nullable(),
  sharedTeamIds: z.array(z.uuid()),
  isActive: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const toConnectionDto = (
  row: ConnectionRow,
  integration: IntegrationRow,
): z.output<typeof connectionDto> => ({
  id: row.id,
  integrationId: integration.id,
  integrationKey: integration.key,
  kind: integration.kind,
  name: row.name,
  config: maskedConfig(
    integration.configSchema as ConfigSchema,
    row.config as Record<string, unknown>,
    row.secretFields,
  ),
  secretFields: row.secretFields,
  ownerUserId: row.userId,
  teamId: row.teamId,
  sharedTeamIds: row.sharedTeamIds,
  isActive: row.isActive,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});
