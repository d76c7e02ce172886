import { countRows, injectSender, probeUnstorableInput } from '@conduit/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SCHEMA } from '../../src/service.js';
import { bearer, type KnowledgeHarness, startKnowledgeHarness } from '../fixtures/knowledge-harness.js';

let harness: KnowledgeHarness;

beforeAll(async () => {
  harness = await startKnowledgeHarness({ worker: false });
});
afterAll(() => harness?.close());

it('refuses text and JSON Postgres cannot store in every field of every route, storing nothing', async () => {
  const before = await countRows(harness.admin, [SCHEMA]);
  const { token } = await harness.tokens.mint();
  const report = await probeUnstorableInput({
    document: harness.app.swagger(),
    send: injectSender(harness.app),
    headers: bearer(token),
  });
  expect(report.failures).toEqual([]);
  expect(report.probes).toBeGreaterThan(100);
  expect(await countRows(harness.admin, [SCHEMA])).toEqual(before);
});
