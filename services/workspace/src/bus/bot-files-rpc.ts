import { type Bus, type RpcServer, serveRpc } from '@conduit/bus';
import { workspaceRpc } from '@conduit/contracts';
import type { WorkspaceDeps } from '../deps.js';
import {
  copyBotFile,
  deleteBotFile,
  listBotFiles,
  readBotFile,
  writeBotFile,
  writeBotFiles,
} from '../domain/bot-files/bot-files.js';

/**
 * rpc.workspace.bot_files.*: a bot's files for the hosts of its scripts (conversation's dialogs,
 * the workflow engine's automations), which name the bot with its owner; every query runs as that
 * owner. The services on the bus are trusted to name the bot they run (as with bot memory), and
 * the bytes travel through the bus's byte transfer, not in the message. serveRpc maps DomainErrors.
 */
export function serveBotFilesRpc(bus: Bus, deps: WorkspaceDeps): RpcServer[] {
  const onError = (subject: string) => (error: unknown) =>
    deps.log.error({ err: error }, `${subject} failed`);
  return [
    serveRpc(
      bus,
      workspaceRpc.readBotFile,
      'workspace',
      ({ bot, path }) => readBotFile(deps, bot, path),
      onError(workspaceRpc.readBotFile.subject),
    ),
    serveRpc(
      bus,
      workspaceRpc.writeBotFile,
      'workspace',
      ({ bot, path, transfer }) => writeBotFile(deps, bot, path, transfer),
      onError(workspaceRpc.writeBotFile.subject),
    ),
    serveRpc(
      bus,
      workspaceRpc.writeBotFiles,
      'workspace',
      ({ bot, files, transfer }) => writeBotFiles(deps, bot, files, transfer),
      onError(workspaceRpc.writeBotFiles.subject),
    ),
    serveRpc(
      bus,
      workspaceRpc.listBotFiles,
      'workspace',
      ({ bot, folder, limit, cursor }) => listBotFiles(deps, bot, folder, { limit, cursor }),
      onError(workspaceRpc.listBotFiles.subject),
    ),
    serveRpc(
      bus,
      workspaceRpc.copyBotFile,
      'workspace',
      ({ bot, from, to, move }) => copyBotFile(deps, bot, from, to, move),
      onError(workspaceRpc.copyBotFile.subject),
    ),
    serveRpc(
      bus,
      workspaceRpc.deleteBotFile,
      'workspace',
      ({ bot, path }) => deleteBotFile(deps, bot, path),
      onError(workspaceRpc.deleteBotFile.subject),
    ),
  ];
}
