import { RpcError, requestRpc } from '@conduit/bus';
import { workspaceRpc } from '@conduit/contracts';
import type { MailDeps } from '../deps.js';

/** The bot whose files are read, as its owner: what rpc.workspace.bot_files.read names. */
export interface BotFilesOwner {
  botId: string;
  ownerUserId: string;
  teamId: string | null;
}

/**
 * Opens one of a bot's files (rpc.workspace.bot_files.read): its name, type, size and the transfer
 * its bytes are taken from. Null when the workspace has no such file or refuses the path; throws
 * as the RPC does when the workspace does not answer.
 */
export async function readBotFileOf(deps: Pick<MailDeps, 'bus' | 'env'>, bot: BotFilesOwner, path: string) {
  try {
    return await requestRpc(
      deps.bus,
      workspaceRpc.readBotFile,
      { bot, path },
      { timeoutMs: deps.env.RPC_TIMEOUT },
    );
  } catch (error) {
    if (error instanceof RpcError && (error.code === 'not_found' || error.code === 'bad_request'))
      return null;
    throw error;
  }
}
