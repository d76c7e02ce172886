import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { appendEvent } from '@conduit/bus';
import { emailEvents } from '@conduit/contracts';
import { type ActorContext, withActor, withoutActor } from '@conduit/db';
import type { ExhaustedJob } from '@conduit/jobs';
import { loggableError } from '@conduit/service-kit';
import { type Job, UnrecoverableError } from 'bullmq';
import { and, eq, sql } from 'drizzle-orm';
import nodemailer from 'nodemailer';
import { emailOutbound, outbox, userEmailAccounts } from '../../db/schema.js';
import type { MailDeps } from '../../deps.js';
import { accountServers } from '../../domain/accounts/account-servers.js';
import type { OutboundRow } from '../../domain/sending/outbound-dto.js';
import { outboundEventData, recipientsOf } from '../../domain/sending/outbound-event-data.js';
import { eventActorOf } from '../../domain/sending/queue-outbound.js';
import { chargeOf, releaseSending } from '../../domain/sending/sending-usage.js';
import { appendToSent } from '../../domain/sending/sent-folder.js';
import { closeImap } from '../../mail/imap-client.js';
import { MailHostRefused, mailFailureOf } from '../../mail/mail-server.js';
import { createSmtpTransport } from '../../mail/smtp-client.js';

/** A row left `sending` before leases were kept (no `lease_until`) counts as leased this long after its last change. */
const LEGACY_LEASE = sql`interval '10 minutes'`;

interface Owner {
  userId: string;
  orgId: string | null;
  teamId: string | null;
}

/** Whose outbound message it is (a narrow security-definer look-up): the job then acts as them. */
async function ownerOf(deps: MailDeps, outboundId: string): Promise<Owner | undefined> {
  const rows = await withoutActor(deps.db, (tx) =>
    tx.execute<{ user_id: string; organization_id: string | null; team_id: string | null }>(
      sql`select user_id, organization_id, team_id from email.outbound_owner(${outboundId})`,
    ),
  );
  const row = rows[0];
  return row ? { userId: row.user_id, orgId: row.organization_id, teamId: row.team_id } : undefined;
}

const contextOf = (owner: Owner): ActorContext => ({
  userId: owner.userId,
  orgId: owner.orgId,
  teamIds: owner.teamId ? [owner.teamId] : [],
  writableTeamIds: owner.teamId ? [owner.teamId] : [],
});

/** A refusal no retry changes: a 5xx answer, a refused login, a host we may not reach. */
function isPermanent(error: unknown): boolean {
  if (error instanceof MailHostRefused || error instanceof MissingSystemMail) return true;
  const code = (error as { responseCode?: number }).responseCode;
  return (code !== undefined && code >= 500 && code < 600) || mailFailureOf(error).kind === 'auth';
}

class MissingSystemMail extends Error {}

/** The SMTP transport of the message: its account's server, else the platform's MAIL_URL. */
async function transportFor(deps: MailDeps, owner: Owner, row: OutboundRow) {
  if (!row.accountId) {
    const url = deps.env.MAIL_URL;
    if (!url) throw new MissingSystemMail('no MAIL_URL is configured for platform mail');
    if (url.startsWith('file://')) return fileTransport(url.slice('file://'.length), row.id);
    return nodemailer.createTransport(url);
  }
  const [account] = await withActor(deps.db, contextOf(owner), (tx) =>
    tx.select().from(userEmailAccounts).where(eq(userEmailAccounts.id, row.accountId!)),
  );
  if (!account) throw new MailHostRefused('the mail account is gone');
  return createSmtpTransport(deps, accountServers(deps.box, account).smtp);
}

/** MAIL_URL=file://<dir> (development): each message is written to <dir>/<outbound id>.eml. */
function fileTransport(dir: string, outboundId: string) {
  const stream = nodemailer.createTransport({ streamTransport: true, buffer: true });
  return {
    async sendMail(message: Parameters<typeof stream.sendMail>[0]) {
      const info = await stream.sendMail(message);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, `${outboundId}.eml`), info.message as Buffer);
      return info;
    },
    close: () => stream.close(),
  };
}

/** Puts a copy in the account's Sent folder once; a failure there is logged, the send stands. */
async function fileInSent(deps: MailDeps, owner: Owner, row: OutboundRow) {
  if (!row.accountId || row.appendedToSent || !row.raw) return;
  const [account] = await withActor(deps.db, contextOf(owner), (tx) =>
    tx.select().from(userEmailAccounts).where(eq(userEmailAccounts.id, row.accountId!)),
  );
  if (!account) return;
  try {
    const imap = await appendToSent(deps, accountServers(deps.box, account).imap, row.raw);
    await closeImap(imap);
    await withActor(deps.db, contextOf(owner), (tx) =>
      tx.update(emailOutbound).set({ appendedToSent: true }).where(eq(emailOutbound.id, row.id)),
    );
  } catch (error) {
    deps.log.warn({ err: loggableError(error), outboundId: row.id }, 'could not file a sent message in Sent');
  }
}

/**
 * Sends one outbound message. The row is claimed (`sending`, one more attempt) under a row lock,
 * so a message that was sent, failed or canceled is left alone however often its job runs; the
 * stored bytes go out with their fixed Message-ID; success records `email.message.sent` and files
 * a copy in Sent. A permanent refusal (5xx, bad login) or the last attempt records
 * `email.message.failed` and stops the retries; anything else puts it back in the queue and
 * throws, for BullMQ to try again after its backoff.
 */
export async function sendOutboundJob(
  deps: MailDeps,
  outboundId: string,
  job: Pick<Job, 'attemptsMade' | 'opts'>,
) {
  const owner = await ownerOf(deps, outboundId);
  if (!owner) return; // its account (and so the message) was deleted
  const leaseMs = deps.env.SEND_LEASE;
  const claimed = await withActor(deps.db, contextOf(owner), async (tx) => {
    const [found] = await tx
      .select({
        row: emailOutbound,
        // The database's clock decides, so workers whose clocks differ agree on a lease.
        leasedUntil: sql<Date | null>`case when ${emailOutbound.status} = 'sending'
          and coalesce(${emailOutbound.leaseUntil}, ${emailOutbound.updatedAt} + ${LEGACY_LEASE}) > now()
          then coalesce(${emailOutbound.leaseUntil}, ${emailOutbound.updatedAt} + ${LEGACY_LEASE}) end`.mapWith(
          emailOutbound.leaseUntil,
        ),
      })
      .from(emailOutbound)
      .where(eq(emailOutbound.id, outboundId))
      .for('update');
    const row = found?.row;
    if (!row || row.status === 'sent' || row.status === 'failed' || row.status === 'canceled')
      return { row, claimed: false };
    // Another run has it in hand (a sweep's job beside a retry, a job a dead worker left that
    // BullMQ runs again before the lease is out): leave it, unless that run died.
    if (found.leasedUntil) return { row, claimed: false, leasedUntil: found.leasedUntil };
    if (row.sendAt.getTime() > Date.now() + 1000) return { row, claimed: false, early: true };
    const [updated] = await tx
      .update(emailOutbound)
      .set({
        status: 'sending',
        attempts: row.attempts + 1,
        leaseUntil: sql`now() + ${leaseInterval(leaseMs)}`,
        updatedAt: new Date(),
      })
      .where(eq(emailOutbound.id, outboundId))
      .returning();
    return { row: updated!, claimed: true };
  });
  if ('early' in claimed && claimed.row) {
    // Queued ahead of its time (a clock or an edit moved it): wait for it under a new job id.
    await deps.jobs.add(
      'send-outbound',
      { outboundId },
      {
        jobId: `send-${outboundId}-${claimed.row.sendAt.getTime()}`,
        delayMs: claimed.row.sendAt.getTime() - Date.now(),
      },
    );
    return;
  }
  if ('leasedUntil' in claimed && claimed.leasedUntil) {
    // Looked at again just after the lease: taken then if its run died, else left to it (a
    // live run renews the lease, and this look comes again after the new one).
    const at = claimed.leasedUntil.getTime() + 1000;
    await deps.jobs.add(
      'send-outbound',
      { outboundId },
      { jobId: `send-${outboundId}-lease-${at}`, delayMs: Math.max(0, at - Date.now()) },
    );
    return;
  }
  if (!claimed.claimed) {
    if (claimed.row?.status === 'sent') await fileInSent(deps, owner, claimed.row);
    return;
  }
  const row = claimed.row!;
  const lease = holdLease(deps, owner, row);
  let transport: Awaited<ReturnType<typeof transportFor>> | undefined;
  try {
    transport = await transportFor(deps, owner, row);
    await transport.sendMail({
      envelope: { from: row.fromAddress, to: recipientsOf(row) },
      raw: row.raw ?? '',
    });
  } catch (error) {
    await lease.release();
    const reason = mailFailureOf(error).reason;
    const last = isPermanent(error) || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    await settleFailure(deps, owner, row.id, reason, last);
    if (last) throw new UnrecoverableError(reason);
    throw new Error(reason);
  } finally {
    transport?.close();
  }
  await lease.release();
  const sent = await withActor(deps.db, contextOf(owner), async (tx) => {
    const sentAt = new Date();
    const [updated] = await tx
      .update(emailOutbound)
      .set({ status: 'sent', sentAt, lastError: null, leaseUntil: null, updatedAt: sentAt })
      .where(eq(emailOutbound.id, row.id))
      .returning();
    await appendEvent(
      tx,
      outbox,
      emailEvents.messageSent,
      { ...outboundEventData(updated!, owner), attempts: updated!.attempts, sentAt: sentAt.toISOString() },
      eventActorOf(owner),
    );
    return updated!;
  });
  await fileInSent(deps, owner, sent);
}

const leaseInterval = (ms: number) => sql`make_interval(secs => ${ms / 1000})`;

/**
 * Renews the claimed message's lease every third of SEND_LEASE while its SMTP transaction runs,
 * as long as this run still holds it (the row is `sending` at this run's attempt: the attempt
 * count fences off a run that lost its lease while stalled). `release` stops the renewals and
 * waits for one under way, so none lands after the outcome is written.
 */
function holdLease(deps: MailDeps, owner: Owner, row: OutboundRow) {
  const leaseMs = deps.env.SEND_LEASE;
  let renewing: Promise<unknown> = Promise.resolve();
  const renew = () =>
    withActor(deps.db, contextOf(owner), (tx) =>
      tx
        .update(emailOutbound)
        .set({ leaseUntil: sql`now() + ${leaseInterval(leaseMs)}` })
        .where(
          and(
            eq(emailOutbound.id, row.id),
            eq(emailOutbound.status, 'sending'),
            eq(emailOutbound.attempts, row.attempts),
          ),
        )
        .returning({ id: emailOutbound.id }),
    ).then(
      (held) => {
        if (held.length === 0) deps.log.warn({ outboundId: row.id }, 'a send lost its lease while sending');
      },
      (error: unknown) =>
        deps.log.warn({ err: loggableError(error), outboundId: row.id }, 'could not renew a send lease'),
    );
  const timer = setInterval(
    () => {
      renewing = renewing.then(renew);
    },
    Math.max(100, Math.floor(leaseMs / 3)),
  );
  return {
    async release() {
      clearInterval(timer);
      await renewing;
    },
  };
}

/**
 * Records a failed attempt: back to `queued` for a retry, or `failed` with its event for good.
 * Only a message still in flight is touched (a second settling of the same failure does nothing).
 * A message failed for good gives back the emails_sent it reserved, once (marked in the same
 * transaction, given back after it commits).
 */
async function settleFailure(
  deps: MailDeps,
  owner: Owner,
  outboundId: string,
  reason: string,
  final: boolean,
) {
  const charge = await withActor(deps.db, contextOf(owner), async (tx) => {
    const [row] = await tx.select().from(emailOutbound).where(eq(emailOutbound.id, outboundId)).for('update');
    if (!row || row.status === 'sent' || row.status === 'failed' || row.status === 'canceled') return null;
    const charge = final ? chargeOf(row) : null;
    await tx
      .update(emailOutbound)
      .set({
        status: final ? 'failed' : 'queued',
        lastError: reason,
        leaseUntil: null,
        updatedAt: new Date(),
        ...(charge ? { usageReleasedAt: new Date() } : {}),
      })
      .where(eq(emailOutbound.id, outboundId));
    if (final)
      await appendEvent(
        tx,
        outbox,
        emailEvents.messageFailed,
        { ...outboundEventData(row, owner), attempts: row.attempts, error: reason },
        eventActorOf(owner),
      );
    return charge;
  });
  if (charge) await releaseSending(deps, charge);
}

/** A send job that gave up for a reason of its own (a crash, the database gone): fail the message. */
export async function settleExhaustedSend(deps: MailDeps, job: ExhaustedJob) {
  const outboundId = (job.payload as { outboundId?: string } | null)?.outboundId;
  if (!outboundId) return;
  const owner = await ownerOf(deps, outboundId);
  if (owner) await settleFailure(deps, owner, outboundId, job.error.slice(0, 500), true);
}

/**
 * Queues the send job of every message whose time has come: a job lost between a commit and its
 * enqueueing (a crash) is sent all the same. Job ids make this a no-op for messages already queued.
 */
export async function sendDueJob(deps: MailDeps) {
  const rows = await withoutActor(deps.db, (tx) =>
    tx.execute<{ id: string }>(sql`select id from email.due_outbound_ids(500) as id`),
  );
  // Its own job id per minute: the message's first job may have finished without sending it (it ran
  // before the request's transaction committed), and its id is kept for a day.
  const minute = Math.floor(Date.now() / 60_000);
  for (const { id } of rows)
    await deps.jobs.add('send-outbound', { outboundId: id }, { jobId: `send-${id}-due-${minute}` });
}
