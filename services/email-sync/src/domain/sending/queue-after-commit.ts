import type { MailDeps } from '../../deps.js';
import { sendJobId } from './queue-outbound.js';

/** How long the job waits for the event's transaction to commit; the sweep catches a later commit. */
const AFTER_COMMIT_MS = 2_000;

/**
 * The send job of an outbound row written by an event consumer, whose transaction commits only
 * after `apply` returns: the job is held a little so it finds the row; if the commit is later still
 * (or the job is lost), the send-due sweep queues it again.
 */
export async function queueSendAfterCommit(deps: Pick<MailDeps, 'jobs'>, outboundId: string) {
  await deps.jobs.add(
    'send-outbound',
    { outboundId },
    { jobId: sendJobId(outboundId), delayMs: AFTER_COMMIT_MS },
  );
}
