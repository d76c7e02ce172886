import { randomUUID } from 'node:crypto';
import { handOverBytes, requestRpc, streamNameFor } from '@conduit/bus';
import { conversationEvents, workspaceRpc } from '@conduit/contracts';
import { startWorkerProcess } from '@conduit/runtime';
import { createLogger } from '@conduit/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceService } from '../../src/service.js';
import { startWorkspaceHarness, type WorkspaceHarness } from '../fixtures/workspace-harness.js';

// A deleted bot's files: the workspace worker (its runtime's idempotent consumer of
// conversation.bot.deleted, on real NATS) deletes them with their objects and gives their
// storage_mb back to the payer, once; the owner's other bots keep theirs.

let h: WorkspaceHarness;
let worker: { close(): Promise<void> };
beforeAll(async () => {
  h = await startWorkspaceHarness();
  worker = await startWorkerProcess(workspaceService, {
    env: h.env,
    log: createLogger({ service: 'workspace-worker-test', level: 'silent' }),
  });
});
afterAll(async () => {
  await worker?.close();
  for (const producer of ['identity', 'conversation'])
    await h?.bus.jsm.streams.delete(streamNameFor(h.bus.namespace, producer)).catch(() => {});
  await h?.close();
});

const MIB = 1024 * 1024;
const rpc = { timeoutMs: 30_000 };
type Bot = { botId: string; ownerUserId: string; teamId: string | null };

async function write(bot: Bot, path: string, size: number) {
  const transfer = await handOverBytes(h.bus, Buffer.alloc(size, 7));
  return requestRpc(h.bus, workspaceRpc.writeBotFile, { bot, path, transfer }, rpc);
}

function heldMb(payerId: string): number {
  const sum = (entries: { subject: { id: string }; items: { amount: number }[] }[]) =>
    entries
      .filter((e) => e.subject.id === payerId)
      .flatMap((e) => e.items)
      .reduce((total, item) => total + item.amount, 0);
  return sum(h.usage!.calls) - sum(h.usage!.releases);
}

const rowsOf = (botId: string) =>
  h.admin<{ path: string; storage_key: string }[]>`
    select path, storage_key from workspace.bot_files where bot_id = ${botId} order by path`;

async function usageBytes(payerId: string) {
  const [row] = await h.admin<{ bytes: string; reserved_mb: number }[]>`
    select bytes, reserved_mb from workspace.bot_file_usage where payer_id = ${payerId}`;
  return { bytes: Number(row?.bytes), reservedMb: row?.reserved_mb };
}

/** conversation.bot.deleted as conversation's relay publishes it; `id` names the event. */
async function publishBotDeleted(bot: Bot, id = randomUUID()) {
  const event = conversationEvents.botDeleted;
  const envelope = event.envelope.parse({
    id,
    subject: event.subject,
    version: event.version,
    occurredAt: new Date().toISOString(),
    actor: null,
    data: bot,
  });
  await h.bus.js.publish(h.bus.subject(event.subject), JSON.stringify(envelope), { msgID: envelope.id });
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe("a deleted bot's files", () => {
  it('are deleted with their objects, and their storage given back to the team, once', async () => {
    const teamId = randomUUID();
    const ownerUserId = randomUUID();
    const gone: Bot = { botId: randomUUID(), ownerUserId, teamId };
    const kept: Bot = { botId: randomUUID(), ownerUserId, teamId };
    await write(gone, 'reports/a.bin', MIB);
    await write(gone, 'reports/b.bin', MIB);
    await write(kept, 'notes.txt', 1000);
    expect(heldMb(teamId)).toBe(3);
    const keys = (await rowsOf(gone.botId)).map((row) => row.storage_key);
    expect(keys).toHaveLength(2);

    await publishBotDeleted(gone);
    await until(async () => (await rowsOf(gone.botId)).length === 0, "the bot's files deleted");
    await until(async () => heldMb(teamId) === 1, 'the storage given back');
    expect(await usageBytes(teamId)).toEqual({ bytes: 1000, reservedMb: 1 });
    // The objects go after the commit (the storage is given back first).
    await until(
      async () => (await Promise.all(keys.map((key) => h.deps.store.head(key)))).every((o) => o === null),
      'the objects removed',
    );
    const pending = await h.admin`
      select 1 from workspace.object_deletions where storage_key = any(${keys})`;
    expect(pending).toHaveLength(0);
    expect((await rowsOf(kept.botId)).map((row) => row.path)).toEqual(['notes.txt']);

    // Told again (another event for the same bot): nothing is left to delete, nothing given back twice.
    const releases = h.usage!.releases.length;
    await publishBotDeleted(gone);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(h.usage!.releases.length).toBe(releases);
    expect(heldMb(teamId)).toBe(1);
    expect(await usageBytes(teamId)).toEqual({ bytes: 1000, reservedMb: 1 });
    expect((await rowsOf(kept.botId)).map((row) => row.path)).toEqual(['notes.txt']);
  });

  it("of a personal bot give back the owner's storage and leave other owners' files alone", async () => {
    const bot: Bot = { botId: randomUUID(), ownerUserId: randomUUID(), teamId: null };
    const stranger: Bot = { botId: randomUUID(), ownerUserId: randomUUID(), teamId: null };
    await write(bot, 'big.bin', 2 * MIB + 1);
    await write(stranger, 'big.bin', 10);
    expect(heldMb(bot.ownerUserId)).toBe(3);
    // An event naming the stranger as the owner of this bot deletes nothing of the real owner's
    // (the files are read and deleted as the named owner, under row-level security).
    await publishBotDeleted({ ...bot, ownerUserId: stranger.ownerUserId });
    await publishBotDeleted(bot);
    await until(async () => (await rowsOf(bot.botId)).length === 0, "the bot's files deleted");
    await until(async () => heldMb(bot.ownerUserId) === 0, 'the storage given back');
    expect(await usageBytes(bot.ownerUserId)).toEqual({ bytes: 0, reservedMb: 0 });
    expect((await rowsOf(stranger.botId)).map((row) => row.path)).toEqual(['big.bin']);
    expect(heldMb(stranger.ownerUserId)).toBe(1);
    expect(await usageBytes(stranger.ownerUserId)).toEqual({ bytes: 10, reservedMb: 1 });
  });
});
