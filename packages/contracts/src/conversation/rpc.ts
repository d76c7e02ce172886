import { z } from 'zod';
import { defineRpc } from '../rpc.js';

/**
 * Who owns a chat session, for services that keep something per session (knowledge-base's session
 * knowledge bases) and must refuse anyone else exactly as they refuse an unknown session. `userId`
 * is null when there is no such session (never was, or deleted).
 */
export const sessionOwner = defineRpc(
  'rpc.conversation.sessions.owner',
  z.object({ sessionId: z.uuid() }),
  z.object({ userId: z.uuid().nullable() }),
);
