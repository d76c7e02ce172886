import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendDueJob } from '../../src/jobs/processors/send-jobs.js';
import {
  bearer,
  connectAccount,
  eventually,
  type MailHarness,
  startMailHarness,
} from '../fixtures/mail-harness.js';
import { exited, startWorkerChild } from '../fixtures/worker-process.js';

// A message being sent holds a lease its send job renews (SEND_LEASE, 1.5 s here): a live send
// slower than many leases is never taken by another job, and one whose worker is SIGKILLed
// mid-send is sent again within seconds of its lease running out, not after ten minutes. The
// test SMTP server holds its answer to DATA, as a slow provider does.
const LEASE_MS = 1500;
let h: MailHarness;
let child: ChildProcess | undefined;
const ana = { user: 'ana@example.test', password: 'ana-secret-lease' };
const bob = { user: 'bob@example.test', password: 'bob-secret-lease' };
let token: string;
let accountId: string;

beforeAll(async () => {
  h = await startMailHarness({
    users: [ana, bob],
    env: {
      IDLE_ENABLED: 'false',
      SYNC_EVERY: '1h',
      SEND_LEASE: `${LEASE_MS}ms`,
      JOB_LOCK_DURATION: '2s',
      JOB_STALLED_INTERVAL: '1s',
    },
  });
  ({ token } = await h.tokens.mint());
  accountId = (await connectAccount(h, token, ana)).id;
});
afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await h?.close();
});

const outbound = (id: string) =>
  h.admin<{ status: string; attempts: number; lease_until: Date | null; sent_at: Date | null }[]>`
    select status, attempts, lease_until, sent_at from email.email_outbound where id = ${id}`.then(
    (rows) => rows[0]!,
  );

async function send(subject: string) {
  const res = await h.app.inject({
    method: 'POST',
    url: '/v1/mail/send',
    headers: bearer(token),
    payload: { accountId, to: [bob.user], subject, text: 'slowly' },
  });
  expect(res.statusCode, res.body).toBe(202);
  return res.json() as { id: string; messageId: string };
}

const transactions = (messageId: string) =>
  h.smtp.received.filter((mail) => `<${mail.messageId}>` === messageId);

describe('the send lease', () => {
  it('keeps a live send slower than several leases from being taken twice', async () => {
    h.smtp.holdNext(1, 5 * LEASE_MS);
    const { id, messageId } = await send('slow provider');
    await eventually(async () => transactions(messageId).length === 1, 20_000, 'the DATA');
    // While the server holds its answer: the sweep and more jobs for the same message, as a
    // retry or a second sweep would queue them. The lease, renewed, keeps moving ahead.
    const leases: number[] = [];
    for (let i = 0; i < 6; i++) {
      await sendDueJob(h.deps);
      await h.deps.jobs.add('send-outbound', { outboundId: id }, { jobId: `send-${id}-extra-${i}` });
      const row = await outbound(id);
      if (row.status !== 'sending') break;
      expect(row.lease_until!.getTime()).toBeGreaterThan(Date.now() - 200);
      leases.push(row.lease_until!.getTime());
      await new Promise((resolve) => setTimeout(resolve, LEASE_MS / 2));
    }
    expect(leases.length).toBeGreaterThanOrEqual(4);
    expect(leases.at(-1)!).toBeGreaterThan(leases[0]!);
    await eventually(async () => (await outbound(id)).status === 'sent', 20_000, 'the send');
    expect(await outbound(id)).toMatchObject({ status: 'sent', attempts: 1, lease_until: null });
    // The jobs queued meanwhile, and their looks after the lease, have all run by now.
    await new Promise((resolve) => setTimeout(resolve, 2 * LEASE_MS));
    expect(transactions(messageId)).toHaveLength(1);
    expect((await outbound(id)).attempts).toBe(1);
  });

  it('sends again soon after its lease runs out a message whose worker was SIGKILLed mid-send', async () => {
    await h.stopWorker();
    child = startWorkerChild(h.childEnv);
    h.smtp.holdNext(1);
    const { id, messageId } = await send('killed mid-send');
    await eventually(async () => transactions(messageId).length === 1, 30_000, 'the child worker sending');
    expect(await outbound(id)).toMatchObject({ status: 'sending', attempts: 1 });
    child.kill('SIGKILL');
    await exited(child);
    const killedAt = Date.now();

    await h.startWorker();
    await eventually(async () => (await outbound(id)).status === 'sent', 30_000, 'the send taken again');
    const sent = await outbound(id);
    expect(sent.attempts).toBe(2);
    // The lease, then BullMQ's lock (2 s) and stalled check (1 s) here: seconds, where the old
    // fixed wait was ten minutes. (In production: SEND_LEASE 30 s, the lock and check 30 s each.)
    expect(Date.now() - killedAt).toBeLessThan(15_000);
    // Sent twice over SMTP (the first never heard back), the same Message-ID both times.
    expect(transactions(messageId)).toHaveLength(2);
    expect(h.smtp.uniqueMessages().filter((mail) => `<${mail.messageId}>` === messageId)).toHaveLength(1);
  });
});
