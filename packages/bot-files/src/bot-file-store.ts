import { type Bus, dropBytes, handOverBytes, requestRpc, takeBytes } from '@conduit/bus';
import { workspaceRpc } from '@conduit/contracts';

export type BotFileOwner = { botId: string; ownerUserId: string; teamId: string | null };
export type BotFile = Awaited<ReturnType<typeof requestRpc<typeof workspaceRpc.writeBotFile>>>;

/**
 * A bot's storage in the workspace service, for the hosts of its scripts: each call is an RPC
 * naming the bot and its owner; bytes travel through the bus's byte transfer beside the call.
 */
export function botFileStore(bus: Bus, options: { bot: BotFileOwner; timeoutMs: number; maxBytes: number }) {
  const { bot, timeoutMs, maxBytes } = options;
  const rpc = { timeoutMs };
  return {
    async read(path: string): Promise<{ file: BotFile; bytes: Buffer }> {
      const { transfer, ...file } = await requestRpc(bus, workspaceRpc.readBotFile, { bot, path }, rpc);
      return { file, bytes: await takeBytes(bus, transfer, maxBytes) };
    },
    async write(path: string, bytes: Uint8Array): Promise<BotFile> {
      if (bytes.length > maxBytes)
        throw new Error(`"${path}" would be ${bytes.length} bytes; a bot file is at most ${maxBytes}`);
      const transfer = await handOverBytes(bus, bytes);
      try {
        return await requestRpc(bus, workspaceRpc.writeBotFile, { bot, path, transfer }, rpc);
      } finally {
        // Taken by the workspace when it answered; dropped here when it did not.
        await dropBytes(bus, transfer);
      }
    },
    /**
     * Writes every file or none (EXTRACT): their bytes handed over together, the workspace
     * reserving the storage of all before it keeps any. Answers how many were written.
     */
    async writeAll(files: { path: string; bytes: Uint8Array }[]): Promise<number> {
      for (const file of files)
        if (file.bytes.length > maxBytes)
          throw new Error(
            `"${file.path}" would be ${file.bytes.length} bytes; a bot file is at most ${maxBytes}`,
          );
      const manifest = files.map((file) => ({ path: file.path, sizeBytes: file.bytes.length }));
      // The paths travel in the RPC message itself, which NATS bounds (max_payload, 1 MiB).
      if (Buffer.byteLength(JSON.stringify(manifest)) > 512 * 1024)
        throw new Error('the files have too many long paths to write at once (over 512 KiB of paths)');
      const transfer = await handOverBytes(bus, Buffer.concat(files.map((file) => file.bytes)));
      try {
        return (await requestRpc(bus, workspaceRpc.writeBotFiles, { bot, files: manifest, transfer }, rpc))
          .written;
      } finally {
        await dropBytes(bus, transfer);
      }
    },
    /** The files under `folder`, by path, at most `max` of them (a page of the workspace's at a time). */
    async list(folder: string, max = 1000): Promise<BotFile[]> {
      const files: BotFile[] = [];
      let cursor: string | undefined;
      do {
        const page = await requestRpc(
          bus,
          workspaceRpc.listBotFiles,
          { bot, folder, limit: Math.min(200, max - files.length), ...(cursor ? { cursor } : {}) },
          rpc,
        );
        files.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor && files.length < max);
      return files;
    },
    copy: (from: string, to: string, move: boolean): Promise<BotFile> =>
      requestRpc(bus, workspaceRpc.copyBotFile, { bot, from, to, move }, rpc),
    async delete(path: string): Promise<void> {
      await requestRpc(bus, workspaceRpc.deleteBotFile, { bot, path }, rpc);
    },
  };
}

export type BotFileStore = ReturnType<typeof botFileStore>;
