import { type Bus, type RpcServer, serveRpc } from '@conduit/bus';
import { conversationRpc } from '@conduit/contracts';
import { withoutActor } from '@conduit/db';
import { sql } from 'drizzle-orm';
import type { ConversationDeps } from '../deps.js';

/**
 * `rpc.conversation.sessions.owner`: who owns a chat session (null for none), for knowledge-base,
 * which must refuse a stranger's session exactly as an unknown one. Answered by one replica of the
 * queue group, through the one look-up row-level security allows without an actor.
 */
export function serveSessionOwnerRpc(bus: Bus, deps: ConversationDeps): RpcServer {
  return serveRpc(
    bus,
    conversationRpc.sessionOwner,
    'conversation',
    async ({ sessionId }) => {
      const [row] = await withoutActor(deps.db, (tx) =>
        tx.execute<{ owner: string | null }>(sql`select conversation.session_owner(${sessionId}) as owner`),
      );
      return { userId: row?.owner ?? null };
    },
    (error) => deps.log.error({ err: error }, 'rpc.conversation.sessions.owner failed'),
  );
}
