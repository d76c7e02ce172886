import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { uuidv7 } from '@conduit/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NONE } from '../../src/db/schema.js';
import {
  type AnalyticsHarness,
  startAnalyticsHarness,
  type TestEvent,
} from '../fixtures/analytics-harness.js';
import { recount } from '../fixtures/recount.js';
import { exited, startWorkerChild } from '../fixtures/worker-process.js';

// The acceptance run (100,000 events) lives in bench/analytics.ts; here 5,000 keep the suite fast.
const UNIQUE = Number(process.env.EXACTNESS_EVENTS ?? 5000);
const DUPLICATE_SHARE = 0.1;

let h: AnalyticsHarness;
const children: ChildProcess[] = [];

beforeAll(async () => {
  h = await startAnalyticsHarness({ worker: false, env: { INGEST_BATCH_SIZE: '200', SHUTDOWN_GRACE: '5s' } });
}, 60_000);
afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(children.map(exited));
  await h?.close();
}, 30_000);

const users = Array.from({ length: 12 }, () => ({ userId: randomUUID(), orgId: randomUUID() }));
const bots = Array.from({ length: 5 }, () => randomUUID());

/** Event number i of the producer, and what it adds to each metric. */
function eventOf(i: number): { event: TestEvent; adds: Record<string, number> } {
  const who = users[i % users.length]!;
  const actor = { userId: who.userId, sessionId: randomUUID(), orgId: who.orgId };
  // Spread over the last two days, so counters fall in many buckets.
  const occurredAt = new Date(Date.now() - ((i * 7919) % 172_800_000)).toISOString();
  const botId = bots[i % bots.length]!;
  const base = { id: uuidv7(), occurredAt, actor };
  switch (i % 4) {
    case 0: {
      const tokensIn = 100 + (i % 900);
      const tokensOut = 50 + (i % 400);
      return {
        event: {
          ...base,
          subject: 'conversation.message.created',
          data: {
            messageId: randomUUID(),
            sessionId: randomUUID(),
            botId,
            userId: who.userId,
            sender: 'bot',
            tokensIn,
            tokensOut,
            model: 'm',
            latencyMs: 5,
          },
        },
        adds: {
          messages: 1,
          bot_replies: 1,
          tokens_in: tokensIn,
          tokens_out: tokensOut,
          ai_credits: Math.ceil((tokensIn + tokensOut) / 1000),
        },
      };
    }
    case 1:
      return {
        event: {
          ...base,
          subject: 'conversation.click.recorded',
          data: { clickId: randomUUID(), sessionId: randomUUID(), botId, elementId: 'b' },
        },
        adds: { clicks: 1 },
      };
    case 2:
      return {
        event: {
          ...base,
          subject: 'identity.user.logged_in',
          data: { userId: who.userId, sessionId: actor.sessionId, method: 'password' },
        },
        adds: { sign_ins: 1 },
      };
    default:
      return {
        event: {
          ...base,
          subject: 'knowledge.document.indexed',
          data: {
            documentId: randomUUID(),
            collectionId: botId,
            contentHash: 'h',
            chunkCount: 3,
            revision: 1,
          },
        },
        adds: { documents_indexed: 1 },
      };
  }
}

describe('exactness', () => {
  it(`counts ${UNIQUE} events exactly once, with 10% published twice, while the worker is killed and restarted`, async () => {
    const expected: Record<string, number> = {};
    const events: TestEvent[] = [];
    for (let i = 0; i < UNIQUE; i++) {
      const { event, adds } = eventOf(i);
      events.push(event);
      for (const [metric, value] of Object.entries(adds)) expected[metric] = (expected[metric] ?? 0) + value;
    }
    // Every tenth event again, later, as a relay that crashed before marking it sent would.
    const published = [...events];
    for (let i = 0; i < UNIQUE * DUPLICATE_SHARE; i++)
      published.splice(
        Math.floor((i * published.length) / (UNIQUE * DUPLICATE_SHARE)) + 1,
        0,
        events[i * 10]!,
      );

    let worker = startWorkerChild(h.childEnv);
    children.push(worker);
    const publishRange = async (from: number, to: number) => {
      for (let i = from; i < to; i += 100)
        await Promise.all(published.slice(i, Math.min(i + 100, to)).map((event) => h.publish(event)));
    };
    const third = Math.floor(published.length / 3);
    await publishRange(0, third);
    await h.waitForEvents(Math.floor(third / 4), 60_000);
    // A crash: SIGKILL in the middle of the stream, batches in flight unacked.
    worker.kill('SIGKILL');
    await exited(worker);
    await publishRange(third, 2 * third);
    worker = startWorkerChild(h.childEnv);
    children.push(worker);
    await h.waitForEvents(third, 60_000);
    // A deploy: SIGTERM, the batch in hand finishes and is acked.
    worker.kill('SIGTERM');
    await exited(worker);
    expect(worker.exitCode).toBe(0);
    await publishRange(2 * third, published.length);
    worker = startWorkerChild(h.childEnv);
    children.push(worker);

    await h.waitForEvents(UNIQUE, 90_000);
    await h.waitForNoLag(30_000);
    const { mismatches, totals } = await recount(h.admin);
    expect(mismatches).toEqual([]);
    expect(totals).toEqual(expected);
    const counters = await h.admin<{ metric: string; value: string }[]>`
      select metric, sum(value)::bigint as value from analytics.rollups
      where dimension = '' and user_id = ${NONE} and team_id = ${NONE} group by metric`;
    expect(Object.fromEntries(counters.map((row) => [row.metric, Number(row.value)]))).toEqual(expected);
    expect(Number((await h.admin`select count(*) as n from analytics.user_analytics`)[0]!.n)).toBe(UNIQUE);
  }, 240_000);
});
