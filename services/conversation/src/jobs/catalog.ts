import { defineJobs } from '@conduit/jobs';
import { z } from 'zod';

/** Conversation's queue: upkeep on job schedulers (see service.ts). Jobs carry no data. */
export const conversationJobs = defineJobs('conversation', {
  /** Removes widget visitors past APP_VISITOR_RETENTION and what only they own. */
  'prune-app-visitors': { payload: z.object({}), attempts: 3, backoffMs: 60_000 },
  /**
   * Drops ended and expired sessions' SET HEADER headers and dialog state, and seals those stored
   * before they were sealed at rest: at each worker's start, then every SESSION_SECRETS_UPKEEP_EVERY.
   */
  'session-secrets-upkeep': { payload: z.object({}), attempts: 3, backoffMs: 60_000 },
});

export type ConversationJobs = typeof conversationJobs;
