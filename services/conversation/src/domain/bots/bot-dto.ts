import { z } from 'zod';
import type { BotRow } from './bot-access.js';

/** The path parameters of a bot's routes. */
export const botParams = z.object({ botId: z.uuid() });

export const botDto = z.object({
  id: z.uuid(),
  orgId: z.uuid().nullable(),
  ownerUserId: z.uuid(),
  teamId: z.uuid().nullable(),
  name: z.string(),
  description: z.string(),
  visibility: z.enum(['private', 'team', 'organization']),
  script: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type BotDto = z.infer<typeof botDto>;

export const toBotDto = (bot: BotRow): BotDto => ({
  id: bot.id,
  orgId: bot.orgId,
  ownerUserId: bot.ownerUserId,
  teamId: bot.teamId,
  name: bot.name,
  description: bot.description,
  visibility: bot.visibility,
  script: bot.script,
  createdAt: bot.createdAt.toISOString(),
  updatedAt: bot.updatedAt.toISOString(),
});
