import { fileURLToPath } from 'node:url';
import { defineService } from '@conduit/runtime';
import { createObjectStore } from '@conduit/storage';
import { buildApp } from './app.js';
import { botDeletedConsumer, conversationStream } from './bus/bot-deleted-events.js';
import { serveBotFilesRpc } from './bus/bot-files-rpc.js';
import { serveDescribeMediaRpc } from './bus/describe-media-rpc.js';
import {
  identityStream,
  teamMemberAddedConsumer,
  teamMemberRemovedConsumer,
} from './bus/team-membership-events.js';
import type { WorkspaceDeps } from './deps.js';
import { sweepObjects } from './domain/media/object-removal.js';
import { pruneSyncHistory } from './domain/sync/sync-history.js';
import { loadEnv, type WorkspaceEnv } from './env.js';
import { type WorkspaceJobs, workspaceJobs } from './jobs/catalog.js';

export const SCHEMA = 'workspace';
export const migrationsDir = fileURLToPath(new URL('../drizzle', import.meta.url));

/**
 * The workspace: a user's preferences, client-encrypted chats, projects, stored files and the
 * delta sync over them over HTTP; `rpc.workspace.media.describe` for services that point at a
 * file; a bot's files for its scripts (`rpc.workspace.bot_files.*`); a worker that removes stored objects a delete left behind, prunes old sync history,
 * records the teams users left (identity's membership events) for their next sync, and deletes a
 * deleted bot's files (conversation.bot.deleted), giving back their storage.
 */
export const workspaceService = defineService<WorkspaceEnv, WorkspaceDeps, WorkspaceJobs>({
  name: 'workspace',
  loadEnv,
  database: { schema: SCHEMA, migrationsDir },
  listen: (env) => ({ port: env.WORKSPACE_PORT, host: env.WORKSPACE_HOST }),
  jobs: () => workspaceJobs,
  deps: ({ env, log, database, bus, jobs }) => ({
    env,
    log,
    db: database.db,
    bus,
    jobs,
    store: createObjectStore(env),
  }),
  app: buildApp,
  rpc: (deps, bus) => [serveDescribeMediaRpc(bus, deps), ...serveBotFilesRpc(bus, deps)],
  background: [identityStream, conversationStream],
  consumers: [teamMemberRemovedConsumer, teamMemberAddedConsumer, botDeletedConsumer],
  worker: {
    handlers: (deps) => ({
      'sweep-objects': () => sweepObjects(deps),
      'prune-sync-history': () => pruneSyncHistory(deps),
    }),
    schedule: async (jobs, env) => {
      await jobs.schedule('sweep-objects', 'sweep-objects', {}, { everyMs: env.OBJECT_SWEEP_EVERY });
      await jobs.schedule('prune-sync-history', 'prune-sync-history', {}, { everyMs: env.SYNC_PRUNE_EVERY });
    },
  },
});
