import { defineJobs } from '@conduit/jobs';
import { z } from 'zod';

/**
 * Email-sync's queue. Jobs carry ids only (never a password): the worker reads the account, its
 * sealed password and each folder's sync state from Postgres.
 */
export const syncAccountPayload = z.object({
  accountId: z.uuid(),
  /** `inbox`: only the Inbox (IDLE saw new mail there). */
  scope: z.enum(['all', 'inbox']).default('all'),
});
export const sendOutboundPayload = z.object({ outboundId: z.uuid() });
export const indexMessagesPayload = z.object({ accountId: z.uuid() });

export const mailJobs = (retry: { backoffMs: number }) =>
  defineJobs('email', {
    /**
     * One sync of an account (folders, new mail, flags, deletions). One runs per account at a time
     * (a Redis lock); one asked for meanwhile makes the running one go round once more.
     */
    'sync-account': { payload: syncAccountPayload, attempts: 2, backoffMs: retry.backoffMs },
    /**
     * The indexing pass of an account: bodies, snippets and full-text vectors of the messages its
     * first sync stored unparsed. One runs per account at a time (a Redis lease, as syncs have).
     */
    'index-messages': { payload: indexMessagesPayload, attempts: 5, backoffMs: retry.backoffMs },
    /** Enqueues a sync of every active account (every SYNC_EVERY). */
    'sync-all': { payload: z.object({}), attempts: 1, backoffMs: retry.backoffMs },
    /** Sends one outbound message (email_outbound), then appends it to the Sent folder. */
    'send-outbound': { payload: sendOutboundPayload, attempts: 8, backoffMs: retry.backoffMs },
    /** Queues the send job of every due outbound message (one lost before it was queued too). */
    'send-due': { payload: z.object({}), attempts: 1, backoffMs: retry.backoffMs },
  });

export type MailJobs = ReturnType<typeof mailJobs>;

/**
 * A sync job's id says why it was queued; the poll's is the same for one account within one
 * SYNC_EVERY, so polls do not pile up behind a slow sync.
 */
export const syncJobId = (accountId: string, reason: string) => `sync-${accountId}-${reason}`;
