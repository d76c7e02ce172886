import { z } from 'zod';
import type { messageHistory } from '../../db/schema.js';

export type MessageRow = typeof messageHistory.$inferSelect;

export const messageDto = z.object({
  id: z.uuid(),
  sessionId: z.uuid(),
  botId: z.uuid(),
  sender: z.enum(['user', 'bot', 'system', 'tool']),
  content: z.string(),
  tokensIn: z.int(),
  tokensOut: z.int(),
  model: z.string().nullable(),
  latencyMs: z.int().nullable(),
  metadata: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
});
export type MessageDto = z.infer<typeof messageDto>;

export const toMessageDto = (m: Omit<MessageRow, 'searchVector'>): MessageDto => ({
  id: m.id,
  sessionId: m.sessionId,
  botId: m.botId,
  sender: m.sender,
  content: m.content,
  tokensIn: m.tokensIn,
  tokensOut: m.tokensOut,
  model: m.model,
  latencyMs: m.latencyMs,
  metadata: m.metadata,
  createdAt: m.createdAt.toISOString(),
});
