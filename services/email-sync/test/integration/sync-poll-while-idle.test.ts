import { startWorkerProcess } from '@conduit/runtime';
import { createLogger } from '@conduit/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnv } from '../../src/env.js';
import { mailService } from '../../src/service.js';
import {
  connectAccount,
  eventually,
  type MailHarness,
  rawMessage,
  startMailHarness,
} from '../fixtures/mail-harness.js';

// Polling every second, but every hour while the account's Inbox IDLE is live: mail in another
// folder waits for the slow poll while IDLE is up, and is fetched at the normal rate once IDLE is
// down (here: the worker holding it stopped, and one without IDLE took over).
let h: MailHarness;
let other: Awaited<ReturnType<typeof startWorkerProcess>> | undefined;
const ana = { user: 'ana@example.test', password: 'ana-secret-1' };

beforeAll(async () => {
  h = await startMailHarness({
    users: [ana],
    env: { SYNC_EVERY: '1s', SYNC_EVERY_WHILE_IDLE: '1h', SYNC_LEASE: '3s' },
  });
});
afterAll(async () => {
  await other?.close();
  await h?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('polling while IDLE is live', () => {
  it('waits for SYNC_EVERY_WHILE_IDLE while IDLE is up, and goes back to SYNC_EVERY when it is down', async () => {
    await h.dovecot.deliver(ana.user, rawMessage({ subject: 'kept 1' }), { folder: 'Archive' });
    await h.dovecot.deliver(ana.user, rawMessage({ subject: 'first in the inbox' }));
    const { token } = await h.tokens.mint();
    const account = await connectAccount(h, token, ana);
    const archived = async () =>
      (
        await h.admin<{ n: number }[]>`
          select count(*)::int as n from email.email_messages m join email.email_folders f on f.id = m.folder_id
          where m.account_id = ${account.id} and f.path = 'Archive'`
      )[0]!.n;
    await eventually(async () => (await archived()) === 1, 30_000, 'the first sync of Archive');
    await eventually(
      async () => (await h.deps.redis.get(`idle-live:${account.id}`)) === '1',
      30_000,
      'the Inbox IDLE to be live',
    );
    // Any poll queued before IDLE was live has run by now.
    await sleep(3000);

    await h.dovecot.deliver(ana.user, rawMessage({ subject: 'kept 2' }), { folder: 'Archive' });
    const { uid } = await h.dovecot.deliver(ana.user, rawMessage({ subject: 'new in the inbox' }));
    // The Inbox is still synced at once through IDLE ...
    await eventually(
      async () =>
        (
          await h.admin<{ n: number }[]>`
            select count(*)::int as n from email.outbox
            where subject = 'email.message.received' and (payload->'data'->>'uid')::int = ${uid}`
        )[0]!.n === 1,
      20_000,
      'the Inbox message through IDLE',
    );
    // ... while six one-second polls went by without a sync of the other folders.
    await sleep(6000);
    expect(await archived()).toBe(1);

    // IDLE down: its worker stops (the live mark goes with it); a worker without IDLE polls as usual.
    await h.stopWorker();
    expect(await h.deps.redis.get(`idle-live:${account.id}`)).toBeNull();
    const log = createLogger({ service: 'email-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });
    other = await startWorkerProcess(mailService, {
      env: loadEnv({ ...h.childEnv, IDLE_ENABLED: 'false' }),
      log,
    });
    await eventually(async () => (await archived()) === 2, 20_000, 'Archive polled at the normal rate');
  }, 120_000);
});
