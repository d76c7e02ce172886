import { conversationEvents } from '@conduit/contracts';
import { type BackgroundTask, consumeEvent } from '@conduit/runtime';
import type { WorkspaceDeps } from '../deps.js';
import { deleteAllBotFiles } from '../domain/bot-files/bot-files.js';

/**
 * A deleted bot's files go with it (conversation.bot.deleted), and their storage_mb is given back
 * to its owner (its team). The files are deleted in a transaction of their own, as the owner; a
 * redelivery finds none left, so it frees nothing twice.
 */
export const botDeletedConsumer = consumeEvent<WorkspaceDeps, typeof conversationEvents.botDeleted>({
  event: conversationEvents.botDeleted,
  name: 'bot-deleted',
  apply: async (deps, _tx, envelope) => {
    const { botId, ownerUserId, teamId } = envelope.data;
    const deleted = await deleteAllBotFiles(deps, { botId, ownerUserId, teamId });
    if (deleted) deps.log.info({ botId, deleted }, "a deleted bot's files were deleted");
  },
});

/** Conversation's stream must exist for the durable consumer on it (see identityStream). */
export const conversationStream: BackgroundTask<WorkspaceDeps> = {
  name: 'conversation stream',
  async start(deps) {
    await deps.bus.ensureStream('conversation');
    return { stop: async () => {} };
  },
};
