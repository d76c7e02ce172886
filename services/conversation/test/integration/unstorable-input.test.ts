import { countRows, injectSender, probeUnstorableInput } from '@conduit/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ConversationHarness, startConversationHarness } from '../fixtures/conversation-harness.js';

let harness: ConversationHarness;

beforeAll(async () => {
  harness = await startConversationHarness();
});
afterAll(() => harness?.close());

it('refuses text and JSON Postgres cannot store in every field of every route, storing nothing', async () => {
  const before = await countRows(harness.admin, ['conversation']);
  const { headers } = await harness.tokens.mint({ platformAdmin: true });
  const report = await probeUnstorableInput({
    document: harness.app.swagger(),
    send: injectSender(harness.app),
    headers,
  });
  expect(report.failures).toEqual([]);
  expect(report.probes).toBeGreaterThan(100);
  expect(await countRows(harness.admin, ['conversation'])).toEqual(before);
});
