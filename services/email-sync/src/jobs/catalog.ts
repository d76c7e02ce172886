import { defineJobs } from '@conduit/jobs';
import { z } from 'zod';

/**
 * Email-sync's queue. Jobs carry ids only (never a password): the worker reads the account, its
 * sealed password and each folder's sync state from Postgres.
 */
export const syncAccountPayload = z.object({ accountId: z.uuid() });
export const sendOutboundPayload = z.object({ outboundId: z.uuid() });

export const mailJobs = (retry: { backoffMs: number }) =>
  defineJobs('email', {
    /**
     * One sync of an account (folders, new mail, flags, deletions). Its job id is the account's,
     * so at most one waits or runs per account; a failed sync is retried by the next poll.
     */
    'sync-account': { payload: syncAccountPayload, attempts: 2, backoffMs: retry.backoffMs },
    /** Enqueues a sync of every active account (every SYNC_EVERY). */
    'sync-all': { payload: z.object({}), attempts: 1, backoffMs: retry.backoffMs },
    /** Sends one outbound message (email_outbound), then appends it to the Sent folder. */
    'send-outbound': { payload: sendOutboundPayload, attempts: 8, backoffMs: retry.backoffMs },
    /** Queues the send job of every due outbound message (one lost before it was queued too). */
    'send-due': { payload: z.object({}), attempts: 1, backoffMs: retry.backoffMs },
  });

export type MailJobs = ReturnType<typeof mailJobs>;

/** At most one sync of an account waits in the queue at a time. */
export const syncJobId = (accountId: string) => `sync-${accountId}`;
