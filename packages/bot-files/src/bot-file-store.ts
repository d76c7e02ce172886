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
    list: async (folder: string, limit = 1000): Promise<BotFile[]> =>
      (await requestRpc(bus, workspaceRpc.listBotFiles, { bot, folder, limit }, rpc)).items,
    copy: (from: string, to: string, move: boolean): Promise<BotFile> =>
      requestRpc(bus, workspaceRpc.copyBotFile, { bot, from, to, move }, rpc),
    async delete(path: string): Promise<void> {
      await requestRpc(bus, workspaceRpc.deleteBotFile, { bot, path }, rpc);
    },
  };
}

export type BotFileStore = ReturnType<typeof botFileStore>;
