import { type Bus, type RpcServer, serveRpc } from '@conduit/bus';
import { conversationRpc } from '@conduit/contracts';
import { type ActorContext, type Transaction, withActor } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, desc, eq, sql } from 'drizzle-orm';
import { botConfiguration, bots } from '../db/schema.js';
import type { ConversationDeps } from '../deps.js';
import { readBotMemory, writeBotMemory } from '../domain/memories/memories.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What an automation's requests name: the bot, and the owner (and team) it runs as. */
type OwnerRequest = { botId: string; ownerUserId: string; teamId: string | null };

/**
 * Runs `work` as the bot's owner once the bot is still theirs (or still the team's): a bot given
 * away or deleted takes its memory and settings with it. Throws not_found otherwise.
 */
function asBotOwner<T>(
  deps: ConversationDeps,
  request: OwnerRequest,
  work: (tx: Transaction) => Promise<T>,
): Promise<T> {
  const team = request.teamId ? [request.teamId] : [];
  const owner: ActorContext = { userId: request.ownerUserId, teamIds: team, writableTeamIds: team };
  return withActor(deps.db, owner, async (tx) => {
    const [bot] = await tx
      .select({ ownerUserId: bots.ownerUserId, teamId: bots.teamId })
      .from(bots)
      .where(eq(bots.id, request.botId));
    const owns =
      bot && (bot.teamId ? bot.teamId === request.teamId : bot.ownerUserId === request.ownerUserId);
    if (!owns) throw new DomainError('not_found', 'No such bot of this owner.');
    return work(tx);
  });
}

/**
 * `rpc.conversation.bots.owner`, `rpc.conversation.bots.memory` and
 * `rpc.conversation.bots.knowledge_base`, for the workflow engine's bot automations: who owns a
 * bot (read as the asking user, under row-level security), a bot's memory read or written as its
 * owner, and the collection its configuration maps a knowledge base's name to (as its dialogs'
 * USE KB reads it). The workflow engine decides who may manage automations; this service only
 * says whose bot it is.
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
      async (request) =>
        asBotOwner(deps, request, async (tx) => {
          if (request.op === 'get')
            return { value: (await readBotMemory(tx, request.botId, request.key))?.value ?? null };
          await writeBotMemory(tx, request.botId, request.key, request.value ?? null);
          return { value: request.value ?? null };
        }),
      (error) => deps.log.error({ err: error }, 'rpc.conversation.bots.memory failed'),
    ),
    serveRpc(
      bus,
      conversationRpc.botKnowledgeBase,
      'conversation',
      async (request) =>
        asBotOwner(deps, request, async (tx) => {
          const [setting] = await tx
            .select({ value: botConfiguration.value })
            .from(botConfiguration)
            .where(
              and(
                eq(botConfiguration.botId, request.botId),
                sql`lower(${botConfiguration.key}) = ${conversationRpc.knowledgeBaseSetting(request.name)}`,
              ),
            )
            // The last written wins, as in the settings a dialog reads (keys differing in case only).
            .orderBy(desc(botConfiguration.createdAt), desc(botConfiguration.id))
            .limit(1);
          const value = setting?.value.trim();
          return { collectionId: value && UUID.test(value) ? value : null };
        }),
      (error) => deps.log.error({ err: error }, 'rpc.conversation.bots.knowledge_base failed'),
    ),
  ];
}
