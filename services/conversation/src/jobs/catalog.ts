import { defineJobs } from '@conduit/jobs';
import { z } from 'zod';

/** Conversation's queue: upkeep on job schedulers (see service.ts). Jobs carry no data. */
export const conversationJobs = defineJobs('conversation', {
  /** Removes widget visitors past APP_VISITOR_RETENTION and what only they own. */
  'prune-app-visitors': { payload: z.object({}), attempts: 3, backoffMs: 60_000 },
});

export type ConversationJobs = typeof conversationJobs;
