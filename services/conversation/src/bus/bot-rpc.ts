import { type Bus, type RpcServer, serveRpc } from '@conduit/bus';
import { conversationRpc } from '@conduit/contracts';
import { type ActorContext, withActor } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { eq } from 'drizzle-orm';
import { bots } from '../db/schema.js';
import type { ConversationDeps } from '../deps.js';
import { readBotMemory, writeBotMemory } from '../domain/memories/memories.js';

/**
 * `rpc.conversation.bots.owner` and `rpc.conversation.bots.memory`, for the workflow engine's bot
 * automations: who owns a bot (read as the asking user, under row-level security), and a bot's
 * memory read or written as its owner. The workflow engine decides who may manage automations;
 * this service only says whose bot it is.
 */
export function serveBotRpcs(bus: Bus, deps: ConversationDeps): RpcServer[] {
  return [
    serveRpc(
      bus,
      conversationRpc.botOwner,
      'conversation',
      async (request) => {
        const teams = Object.entries(request.teams ?? {});
        const actor: ActorContext = {
          userId: request.userId,
          orgId: request.orgId ?? null,
          teamIds: teams.map(([teamId]) => teamId),
          writableTeamIds: teams.filter(([, role]) => role !== 'viewer').map(([teamId]) => teamId),
        };
        const [bot] = await withActor(deps.db, actor, (tx) =>
          tx
            .select({ ownerUserId: bots.ownerUserId, teamId: bots.teamId, orgId: bots.orgId })
            .from(bots)
            .where(eq(bots.id, request.botId)),
        );
        return { bot: bot ?? null };
      },
      (error) => deps.log.error({ err: error }, 'rpc.conversation.bots.owner failed'),
    ),
    serveRpc(
      bus,
      conversationRpc.botMemory,
      'conversation',
      async (request) => {
        const team = request.teamId ? [request.teamId] : [];
        const owner: ActorContext = { userId: request.ownerUserId, teamIds: team, writableTeamIds: team };
        return withActor(deps.db, owner, async (tx) => {
          // The bot must still be this owner's (or this team's): a bot given away or deleted
          // takes its memory with it.
          const [bot] = await tx
            .select({ ownerUserId: bots.ownerUserId, teamId: bots.teamId })
            .from(bots)
            .where(eq(bots.id, request.botId));
          const owns =
            bot && (bot.teamId ? bot.teamId === request.teamId : bot.ownerUserId === request.ownerUserId);
          if (!owns) throw new DomainError('not_found', 'No such bot of this owner.');
          if (request.op === 'get')
            return { value: (await readBotMemory(tx, request.botId, request.key))?.value ?? null };
          await writeBotMemory(tx, request.botId, request.key, request.value ?? null);
          return { value: request.value ?? null };
        });
      },
      (error) => deps.log.error({ err: error }, 'rpc.conversation.bots.memory failed'),
    ),
  ];
}
