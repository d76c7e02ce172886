import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allIndexed,
  bearer,
  connectAccount,
  eventually,
  type MailHarness,
  rawMessage,
  startMailHarness,
} from '../fixtures/mail-harness.js';
import { exited, startWorkerChild } from '../fixtures/worker-process.js';

// The first sync runs in a worker child process that is SIGKILLed half-way; a worker started
// afterwards resumes from the last committed batch: every message once, nothing announced.
let h: MailHarness;
let child: ChildProcess | undefined;
const ana = { user: 'ana@example.test', password: 'ana-secret-1' };
const TOTAL = 200;

beforeAll(async () => {
  h = await startMailHarness({
    users: [ana],
    worker: false,
    env: { SYNC_BATCH: '10', SYNC_EVERY: '1s', SYNC_LEASE: '3s', IDLE_ENABLED: 'false' },
  });
});
afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await h?.close();
});

describe('a worker killed in the middle of a first sync', () => {
  it('is resumed by the next worker without duplicate rows or events', async () => {
    for (let i = 0; i < TOTAL; i++) await h.dovecot.deliver(ana.user, rawMessage({ subject: `m${i}` }));
    const { token } = await h.tokens.mint();
    const account = await connectAccount(h, token, ana);
    const progress = async () => {
      const [row] = await h.admin<{ fetched: number; done: boolean; below: number | null }[]>`
        select first_sync_fetched as fetched, first_sync_done as done, first_sync_below::int as below
        from email.email_folders where account_id = ${account.id} and special_use = 'inbox'`;
      return row;
    };

    child = startWorkerChild(h.childEnv);
    const partway = await eventually(
      async () => {
        const row = await progress();
        return row && row.fetched >= 20 ? row : undefined;
      },
      60_000,
      'the first batches',
    );
    child.kill('SIGKILL');
    await exited(child);
    const atKill = await progress();
    expect(atKill!.done).toBe(false);
    expect(atKill!.fetched).toBeGreaterThanOrEqual(partway.fetched);
    expect(atKill!.fetched).toBeLessThan(TOTAL);
    // Usable before it has finished: the folder says how far it is, and what is stored is listed
    // newest first.
    const folders = await h.app.inject({
      method: 'GET',
      url: `/v1/mail/accounts/${account.id}/folders`,
      headers: bearer(token),
    });
    const inbox = folders
      .json()
      .items.find((folder: { specialUse: string }) => folder.specialUse === 'inbox');
    expect(inbox.sync).toMatchObject({ firstSyncDone: false, total: TOTAL, fetched: atKill!.fetched });
    const listed = await h.app.inject({
      method: 'GET',
      url: `/v1/mail/folders/${inbox.id}/messages?limit=3`,
      headers: bearer(token),
    });
    expect(listed.statusCode, listed.body).toBe(200);
    // Newest first by the time the server received them (to the second: messages delivered in the
    // same second come in any order among themselves), starting from the newest stored.
    const times = listed.json().items.map((m: { receivedAt: string }) => Date.parse(m.receivedAt));
    expect(times).toHaveLength(3);
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const [newest] = await h.admin<{ at: Date }[]>`
      select max(m.received_at) as at from email.email_messages m
      join email.email_folders f on f.id = m.folder_id where f.id = ${inbox.id}`;
    expect(times[0]).toBe(newest!.at.getTime());

    await h.startWorker();
    await eventually(async () => (await progress())?.done, 90_000, 'the resumed first sync');
    const [counts] = await h.admin<{ rows: number; uids: number }[]>`
      select count(*)::int as rows, count(distinct uid)::int as uids
      from email.email_messages where account_id = ${account.id}`;
    expect(counts).toEqual({ rows: TOTAL, uids: TOTAL });
    expect((await progress())!.fetched).toBe(TOTAL);
    // The indexing pass behind it (the killed worker's share included) indexes every row once.
    await allIndexed(h, account.id, 90_000);
    const [indexed] = await h.admin<{ n: number; sources: number }[]>`
      select count(*)::int as n, count(raw_source)::int as sources from email.email_messages
      where account_id = ${account.id} and text_body like 'Body of m%'`;
    expect(indexed).toEqual({ n: TOTAL, sources: 0 });
    const [announced] = await h.admin<{ n: number }[]>`
      select count(*)::int as n from email.outbox where subject = 'email.message.received'`;
    expect(announced!.n).toBe(0);
  }, 240_000);
});
