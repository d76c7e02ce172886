import { randomUUID } from 'node:crypto';
import {
  type EventDefinition,
  type EventEnvelope,
  emailEvents,
  identityEvents,
  knowledgeEvents,
} from '@conduit/contracts';
import { uuidv7 } from '@conduit/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { NONE } from '../../src/db/schema.js';
import { type AnalyticsHarness, startAnalyticsHarness } from '../fixtures/analytics-harness.js';
import { recount } from '../fixtures/recount.js';

// Events exactly as identity, the knowledge base and the email service write them (each envelope
// is checked against its contract before it is published), counted as the metrics:
// failed_sign_ins, kb_searches, documents_indexed, mail_received, mail_sent and mail_failed.
// The email stream is read because configuration names it (ANALYTICS_STREAMS' default).

let h: AnalyticsHarness;
const orgId = randomUUID();
const userId = randomUUID();
const teamId = randomUUID();

beforeAll(async () => {
  h = await startAnalyticsHarness();
}, 60_000);
afterAll(() => h?.close(), 30_000);

/** Publishes an event as its producer's outbox relay would, after its contract accepts it. */
async function produce<E extends EventDefinition>(
  event: E,
  data: z.input<E['data']>,
  actor: EventEnvelope['actor'],
): Promise<string> {
  const envelope = event.envelope.parse({
    id: uuidv7(),
    subject: event.subject,
    version: event.version,
    occurredAt: new Date().toISOString(),
    actor,
    data,
  });
  await h.publish(envelope as EventEnvelope<Record<string, unknown>>);
  return envelope.id;
}

const rowOf = async (id: string) =>
  (await h.admin`select * from analytics.user_analytics where id = ${id}`)[0]!;

/** The organization-level counter of a metric (every user and team), NONE for events of nobody. */
const organizationTotal = async (metric: string, organization: string, dimension = '', dimensionId = NONE) =>
  Number(
    (
      await h.admin`
        select coalesce(sum(value), 0)::bigint as n from analytics.rollups
        where metric = ${metric} and organization_id = ${organization} and user_id = ${NONE}
          and team_id = ${NONE} and dimension = ${dimension} and dimension_id = ${dimensionId}`
    )[0]!.n,
  );

describe('events of the producing services', () => {
  it("counts refused sign-ins: the account's under its user, an unknown address's under nobody, and keeps no address", async () => {
    const ids = [
      await produce(
        identityEvents.userLoginFailed,
        { userId, organizationId: orgId, method: 'password', reason: 'invalid_credentials' },
        null,
      ),
      await produce(
        identityEvents.userLoginFailed,
        { userId, organizationId: orgId, method: 'password', reason: 'throttled' },
        null,
      ),
      await produce(
        identityEvents.userLoginFailed,
        { userId: null, organizationId: null, method: 'password', reason: 'invalid_credentials' },
        null,
      ),
    ];
    await expect.poll(() => organizationTotal('failed_sign_ins', orgId), { timeout: 20_000 }).toBe(2);
    await expect.poll(() => organizationTotal('failed_sign_ins', NONE), { timeout: 20_000 }).toBe(1);
    expect(await rowOf(ids[0]!)).toMatchObject({
      user_id: userId,
      organization_id: orgId,
      metrics: { failed_sign_ins: 1 },
      event_data: { userId, organizationId: orgId, method: 'password', reason: 'invalid_credentials' },
    });
    expect(await rowOf(ids[2]!)).toMatchObject({ user_id: null, organization_id: null });
    const mine = await h.admin`
      select coalesce(sum(value), 0)::int as n from analytics.rollups
      where metric = 'failed_sign_ins' and user_id = ${userId} and dimension = ''`;
    expect(mine[0]!.n).toBe(2);
  });

  it('counts knowledge-base searches and indexed documents per knowledge base', async () => {
    const collectionId = randomUUID();
    const actor = { userId, sessionId: null, orgId };
    const search = await produce(
      knowledgeEvents.searchPerformed,
      { collectionId, collectionCount: 1, sessionId: null, scope: 'collections', hits: 4 },
      actor,
    );
    await produce(
      knowledgeEvents.searchPerformed,
      { collectionId: null, collectionCount: 3, sessionId: randomUUID(), scope: 'session', hits: 0 },
      actor,
    );
    await produce(
      knowledgeEvents.documentIndexed,
      { documentId: randomUUID(), collectionId, contentHash: 'a'.repeat(64), chunkCount: 7, revision: 1 },
      actor,
    );
    await expect.poll(() => organizationTotal('kb_searches', orgId), { timeout: 20_000 }).toBe(2);
    expect(await organizationTotal('kb_searches', orgId, 'collection', collectionId)).toBe(1);
    await expect.poll(() => organizationTotal('documents_indexed', orgId), { timeout: 20_000 }).toBe(1);
    expect(await organizationTotal('documents_indexed', orgId, 'collection', collectionId)).toBe(1);
    expect((await rowOf(search)).event_data).toEqual({
      collectionId,
      collectionCount: 1,
      scope: 'collections',
      hits: 4,
    });
  });

  it('counts mail received, sent and failed per mailbox, for its owner, without addresses, subjects or errors', async () => {
    const accountId = randomUUID();
    const owner = { accountId, ownerUserId: userId, teamId };
    const sender = { name: 'Grace', address: 'grace@example.com' };
    const received = await produce(
      emailEvents.messageReceived,
      {
        ...owner,
        folderId: randomUUID(),
        folderPath: 'INBOX/Private',
        messageId: randomUUID(),
        uidvalidity: 7,
        uid: 42,
        internetMessageId: '<m1@example.com>',
        threadId: null,
        from: sender,
        to: [{ name: 'Ada', address: 'ada@example.com' }],
        subject: 'Quarterly numbers',
        receivedAt: new Date().toISOString(),
        size: 2048,
      },
      { userId, sessionId: null, orgId },
    );
    const outbound = {
      accountId,
      ownerUserId: userId,
      teamId,
      internetMessageId: '<m2@example.com>',
      recipients: 2,
      source: 'draft' as const,
    };
    await produce(
      emailEvents.messageSent,
      { ...outbound, outboundId: randomUUID(), attempts: 1, sentAt: new Date().toISOString() },
      { userId, sessionId: null, orgId },
    );
    // No actor: the mailbox's owner is who it concerns.
    const failed = await produce(
      emailEvents.messageFailed,
      { ...outbound, outboundId: randomUUID(), attempts: 5, error: '550 no such user ada@example.com' },
      null,
    );
    await expect.poll(() => organizationTotal('mail_received', orgId), { timeout: 20_000 }).toBe(1);
    await expect.poll(() => organizationTotal('mail_sent', orgId), { timeout: 20_000 }).toBe(1);
    expect(await organizationTotal('mail_received', orgId, 'account', accountId)).toBe(1);
    expect(await organizationTotal('mail_sent', orgId, 'account', accountId)).toBe(1);
    await expect
      .poll(async () => (await rowOf(failed))?.metrics, { timeout: 20_000 })
      .toEqual({ mail_failed: 1 });

    expect(await rowOf(received)).toMatchObject({
      source: 'email',
      user_id: userId,
      team_id: teamId,
      account_id: accountId,
    });
    expect(await rowOf(failed)).toMatchObject({ user_id: userId, team_id: teamId, account_id: accountId });
    expect((await rowOf(failed)).event_data).toMatchObject({ source: 'draft', attempts: 5, recipients: 2 });
    // The error's words, not its code: "550" turns up in random UUIDs.
    const leaked = await h.admin`
      select count(*)::int as n from analytics.user_analytics
      where source = 'email' and event_data::text ~ '(@example\\.com|Quarterly|INBOX|no such user)'`;
    expect(leaked[0]!.n).toBe(0);
    expect((await recount(h.admin)).mismatches).toEqual([]);
  });
});
