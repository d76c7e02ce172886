import { defineJobs } from '@conduit/jobs';
import { z } from 'zod';

/** The workspace's queue: upkeep of the object store and of sync history, on job schedulers (see service.ts). */
export const workspaceJobs = defineJobs('workspace', {
  /** Removes the stored objects of deleted files that were not removed right after the delete. */
  'sweep-objects': { payload: z.object({}), attempts: 3, backoffMs: 30_000 },
  /** Prunes tombstones and team departures past SYNC_TOMBSTONE_RETENTION. */
  'prune-sync-history': { payload: z.object({}), attempts: 3, backoffMs: 60_000 },
});

export type WorkspaceJobs = typeof workspaceJobs;
