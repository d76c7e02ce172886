import { type RpcServer, serveRpc } from '@conduit/bus';
import { conversationRpc } from '@conduit/contracts';
import { countRows, injectSender, probeUnstorableInput } from '@conduit/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SCHEMA } from '../../src/service.js';
import { startWorkspaceHarness, type WorkspaceHarness } from '../fixtures/workspace-harness.js';

let h: WorkspaceHarness;
/** Conversation's bot look-up (a bot's files are asked of it): no bot, as for a stranger's. */
let bots: RpcServer;

beforeAll(async () => {
  h = await startWorkspaceHarness();
  bots = serveRpc(h.bus, conversationRpc.botOwner, 'conversation', async () => ({ bot: null }));
});
afterAll(async () => {
  await bots?.stop();
  await h?.close();
});

it('refuses text and JSON Postgres cannot store in every field of every route, storing nothing', async () => {
  const before = await countRows(h.admin, [SCHEMA]);
  const { headers } = await h.tokens.mint();
  const report = await probeUnstorableInput({
    document: h.app.swagger(),
    send: injectSender(h.app),
    headers,
  });
  expect(report.failures).toEqual([]);
  expect(report.probes).toBeGreaterThan(30);
  expect(await countRows(h.admin, [SCHEMA])).toEqual(before);
});
