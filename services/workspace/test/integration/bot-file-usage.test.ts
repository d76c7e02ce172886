import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { handOverBytes, RpcError, requestRpc } from '@conduit/bus';
import { workspaceRpc } from '@conduit/contracts';
import { type ActorContext, withActor } from '@conduit/db';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkspaceHarness, type WorkspaceHarness } from '../fixtures/workspace-harness.js';

// A bot's files over rpc.workspace.bot_files.*, as the script hosts call them, on the real
// Postgres, NATS and local object store, with identity's usage RPCs as a stand-in on the bus:
// concurrent writes keep one object and count it once, storage_mb counts what a payer keeps in
// all (not a mebibyte a file), a batch is written whole or not at all, and lists come in pages.

let h: WorkspaceHarness;
beforeAll(async () => {
  h = await startWorkspaceHarness();
});
afterAll(() => h?.close());

const MIB = 1024 * 1024;
const rpc = { timeoutMs: 30_000 };
type Bot = { botId: string; ownerUserId: string; teamId: string | null };
const personalBot = (): Bot => ({ botId: randomUUID(), ownerUserId: randomUUID(), teamId: null });

async function write(bot: Bot, path: string, bytes: Buffer) {
  const transfer = await handOverBytes(h.bus, bytes);
  return requestRpc(h.bus, workspaceRpc.writeBotFile, { bot, path, transfer }, rpc);
}

async function writeAll(bot: Bot, files: { path: string; bytes: Buffer }[]) {
  const transfer = await handOverBytes(h.bus, Buffer.concat(files.map((f) => f.bytes)));
  const manifest = files.map((f) => ({ path: f.path, sizeBytes: f.bytes.length }));
  return requestRpc(h.bus, workspaceRpc.writeBotFiles, { bot, files: manifest, transfer }, rpc);
}

/** storage_mb the payer holds at identity's: what was reserved less what was given back. */
function heldMb(payerId: string): number {
  const sum = (entries: { subject: { id: string }; items: { amount: number }[] }[]) =>
    entries
      .filter((e) => e.subject.id === payerId)
      .flatMap((e) => e.items)
      .reduce((total, item) => total + item.amount, 0);
  return sum(h.usage!.calls) - sum(h.usage!.releases);
}

async function usageRow(payerId: string) {
  const [row] = await h.admin<{ bytes: string; reserved_mb: number }[]>`
    select bytes, reserved_mb from workspace.bot_file_usage where payer_id = ${payerId}`;
  return row ? { bytes: Number(row.bytes), reservedMb: row.reserved_mb } : undefined;
}

const rowsOf = (botId: string) =>
  h.admin<{ path: string; size_bytes: string; storage_key: string }[]>`
    select path, size_bytes, storage_key from workspace.bot_files where bot_id = ${botId} order by path`;

/** Every object in the local store (the harness's directory). */
async function storedObjects(): Promise<string[]> {
  const root = join(h.childEnv.STORAGE_DIR!, 'objects');
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** A file's bytes, `size` long, distinct per `seed`. */
const bytesOf = (size: number, seed: number) => Buffer.alloc(size, seed % 251);

describe('concurrent writes to one path', () => {
  it('ten writes replacing one file leave one object, counted once, and no error', async () => {
    const bot = personalBot();
    await write(bot, 'report.bin', bytesOf(MIB + 10, 1));
    const objectsBefore = (await storedObjects()).length;
    const sizes = Array.from({ length: 10 }, (_, i) => Math.floor(1.5 * MIB) + i);
    const answers = await Promise.allSettled(
      sizes.map((size, i) => write(bot, 'report.bin', bytesOf(size, i + 2))),
    );
    expect(answers.filter((a) => a.status === 'rejected')).toEqual([]);
    const rows = await rowsOf(bot.botId);
    expect(rows).toHaveLength(1);
    const size = Number(rows[0]!.size_bytes);
    expect(sizes).toContain(size);
    // Replaced objects are removed after each commit; the one the row names is all that is left.
    expect((await storedObjects()).length).toBe(objectsBefore);
    expect(await h.deps.store.head(rows[0]!.storage_key)).toEqual({ sizeBytes: size });
    expect(await usageRow(bot.ownerUserId)).toEqual({ bytes: size, reservedMb: 2 });
    expect(heldMb(bot.ownerUserId)).toBe(2);
  });

  it('ten writes of a new path make one file, not a unique violation', async () => {
    const bot = personalBot();
    const answers = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => write(bot, 'new/one.txt', bytesOf(100 + i, i))),
    );
    expect(answers.filter((a) => a.status === 'rejected')).toEqual([]);
    const rows = await rowsOf(bot.botId);
    expect(rows).toHaveLength(1);
    expect(await usageRow(bot.ownerUserId)).toEqual({ bytes: Number(rows[0]!.size_bytes), reservedMb: 1 });
    expect(heldMb(bot.ownerUserId)).toBe(1);
  });

  it('moves onto a file and deletes give back only what they freed', async () => {
    const bot = { ...personalBot(), teamId: randomUUID() };
    await write(bot, 'a.bin', bytesOf(MIB, 1));
    await write(bot, 'b.bin', bytesOf(MIB, 2));
    expect(heldMb(bot.teamId)).toBe(2);
    expect(heldMb(bot.ownerUserId)).toBe(0); // a team bot's files are the team's
    const moved = await Promise.allSettled([
      requestRpc(h.bus, workspaceRpc.copyBotFile, { bot, from: 'a.bin', to: 'b.bin', move: true }, rpc),
      requestRpc(h.bus, workspaceRpc.copyBotFile, { bot, from: 'a.bin', to: 'b.bin', move: true }, rpc),
    ]);
    // One move wins; the other finds no "a.bin" left.
    expect(moved.map((m) => m.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((await rowsOf(bot.botId)).map((r) => r.path)).toEqual(['b.bin']);
    expect(await usageRow(bot.teamId)).toEqual({ bytes: MIB, reservedMb: 1 });
    expect(heldMb(bot.teamId)).toBe(1);
    await Promise.allSettled([
      requestRpc(h.bus, workspaceRpc.deleteBotFile, { bot, path: 'b.bin' }, rpc),
      requestRpc(h.bus, workspaceRpc.deleteBotFile, { bot, path: 'b.bin' }, rpc),
    ]);
    expect(await usageRow(bot.teamId)).toEqual({ bytes: 0, reservedMb: 0 });
    expect(heldMb(bot.teamId)).toBe(0);
  });
});

describe('storage_mb counts what a payer keeps in all', () => {
  it('a hundred small files cost one mebibyte, not a hundred', async () => {
    const bot = personalBot();
    for (let i = 0; i < 100; i++) await write(bot, `notes/${i}.txt`, bytesOf(1000, i));
    expect(await usageRow(bot.ownerUserId)).toEqual({ bytes: 100_000, reservedMb: 1 });
    expect(heldMb(bot.ownerUserId)).toBe(1);
    // A second bot of the same owner shares the owner's total.
    await write({ ...bot, botId: randomUUID() }, 'x.txt', bytesOf(MIB - 100_000, 1));
    expect(heldMb(bot.ownerUserId)).toBe(1);
    await write(bot, 'y.txt', bytesOf(1, 1));
    expect(heldMb(bot.ownerUserId)).toBe(2);
  });

  it('a batch (EXTRACT) past the limit writes nothing; one that fits writes every file', async () => {
    const bot = personalBot();
    await write(bot, 'kept.txt', bytesOf(10, 1));
    const files = Array.from({ length: 5 }, (_, i) => ({ path: `out/${i}.bin`, bytes: bytesOf(MIB, i) }));
    const callsBefore = h.usage!.calls.length;
    h.usage!.refuse.set('storage_mb', { remaining: 3, limit: 4 });
    try {
      const refused = await writeAll(bot, files).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(RpcError);
      expect((refused as RpcError).code).toBe('limit_reached');
    } finally {
      h.usage!.refuse.delete('storage_mb');
    }
    // The refused reservation (the stand-in records it, though it held nothing) asked for all five.
    const refusedCalls = h.usage!.calls.splice(callsBefore);
    expect(refusedCalls.map((c) => c.items[0]!.amount)).toEqual([5]);
    expect((await rowsOf(bot.botId)).map((r) => r.path)).toEqual(['kept.txt']);
    expect(await usageRow(bot.ownerUserId)).toEqual({ bytes: 10, reservedMb: 1 });
    expect(heldMb(bot.ownerUserId)).toBe(1);

    expect(await writeAll(bot, files)).toEqual({ written: 5 });
    expect((await rowsOf(bot.botId)).map((r) => r.path)).toEqual([
      'kept.txt',
      'out/0.bin',
      'out/1.bin',
      'out/2.bin',
      'out/3.bin',
      'out/4.bin',
    ]);
    expect(heldMb(bot.ownerUserId)).toBe(6);
  });

  it('a batch whose sizes do not add up to its bytes is refused, nothing written', async () => {
    const bot = personalBot();
    const transfer = await handOverBytes(h.bus, bytesOf(10, 1));
    const refused = await requestRpc(
      h.bus,
      workspaceRpc.writeBotFiles,
      { bot, files: [{ path: 'a.txt', sizeBytes: 4 }], transfer },
      rpc,
    ).catch((error: unknown) => error);
    expect((refused as RpcError).code).toBe('bad_request');
    expect(await rowsOf(bot.botId)).toEqual([]);
  });
});

describe('lists come in pages that fit in a NATS message', () => {
  it('250 files in two pages by the cursor; no page larger than 200', async () => {
    const bot = personalBot();
    const files = Array.from({ length: 250 }, (_, i) => ({
      path: `many/${String(i).padStart(3, '0')}-${'é'.repeat(150)}.txt`,
      bytes: bytesOf(1, i),
    }));
    expect(await writeAll(bot, files)).toEqual({ written: 250 });
    const first = await requestRpc(h.bus, workspaceRpc.listBotFiles, { bot, folder: 'many' }, rpc);
    expect(first.items).toHaveLength(200);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await requestRpc(
      h.bus,
      workspaceRpc.listBotFiles,
      { bot, folder: 'many', cursor: first.nextCursor! },
      rpc,
    );
    expect(second.items).toHaveLength(50);
    expect(second.nextCursor).toBeNull();
    expect([...first.items, ...second.items].map((f) => f.path)).toEqual(files.map((f) => f.path));
    expect(() => workspaceRpc.listBotFiles.request.parse({ bot, folder: '', limit: 10_000 })).toThrow();
  });
});

describe("a payer's usage row under row-level security", () => {
  const as = (userId: string, teams: { read?: string[]; write?: string[] } = {}): ActorContext => ({
    userId,
    orgId: null,
    teamIds: [...(teams.read ?? []), ...(teams.write ?? [])],
    writableTeamIds: teams.write ?? [],
    platformAdmin: false,
    permissions: [],
  });
  const visible = (actor: ActorContext) =>
    withActor(h.deps.db, actor, async (tx) =>
      (await tx.execute<{ payer_id: string }>(sql`select payer_id from workspace.bot_file_usage`)).map(
        (row) => row.payer_id,
      ),
    );

  it('is seen and changed by its payer (a team bot: its writers) alone', async () => {
    const own = personalBot();
    const teamBot = { ...personalBot(), teamId: randomUUID() };
    await write(own, 'a.txt', bytesOf(10, 1));
    await write(teamBot, 'b.txt', bytesOf(10, 2));
    expect(await visible(as(own.ownerUserId))).toEqual([own.ownerUserId]);
    expect(await visible(as(randomUUID()))).toEqual([]);
    expect(await visible(as(randomUUID(), { read: [teamBot.teamId] }))).toEqual([]); // a viewer
    expect(await visible(as(randomUUID(), { write: [teamBot.teamId] }))).toEqual([teamBot.teamId]);
    // A stranger can neither plant nor change another payer's row.
    const stranger = as(randomUUID());
    await expect(
      withActor(h.deps.db, stranger, (tx) =>
        tx.execute(
          sql`insert into workspace.bot_file_usage (payer_type, payer_id) values ('user', ${randomUUID()})`,
        ),
      ),
    ).rejects.toMatchObject({ cause: { code: '42501' } });
    const changed = await withActor(h.deps.db, stranger, (tx) =>
      tx.execute(
        sql`update workspace.bot_file_usage set bytes = 0 where payer_id = ${own.ownerUserId} returning 1`,
      ),
    );
    expect(changed).toHaveLength(0);
    expect(await usageRow(own.ownerUserId)).toEqual({ bytes: 10, reservedMb: 1 });
  });
});
