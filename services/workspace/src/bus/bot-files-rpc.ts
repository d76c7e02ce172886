import { type Bus, type RpcServer, serveRpc } from '@conduit/bus';
import { type RpcDefinition, workspaceRpc } from '@conduit/contracts';
import type { z } from 'zod';
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
  // Every server of the family shares its queue and logs a failure under its own subject.
  const serve = <D extends RpcDefinition>(
    def: D,
    handler: (request: z.output<D['request']>) => Promise<z.input<D['response']>>,
  ) =>
    serveRpc(bus, def, 'workspace', handler, (error) =>
      deps.log.error({ err: error }, `${def.subject} failed`),
    );
  return [
    serve(workspaceRpc.readBotFile, ({ bot, path }) => readBotFile(deps, bot, path)),
    serve(workspaceRpc.writeBotFile, ({ bot, path, transfer }) => writeBotFile(deps, bot, path, transfer)),
    serve(workspaceRpc.writeBotFiles, ({ bot, files, transfer }) =>
      writeBotFiles(deps, bot, files, transfer),
    ),
    serve(workspaceRpc.listBotFiles, ({ bot, folder, limit, cursor }) =>
      listBotFiles(deps, bot, folder, { limit, cursor }),
    ),
    serve(workspaceRpc.copyBotFile, ({ bot, from, to, move }) => copyBotFile(deps, bot, from, to, move)),
    serve(workspaceRpc.deleteBotFile, ({ bot, path }) => deleteBotFile(deps, bot, path)),
  ];
}
