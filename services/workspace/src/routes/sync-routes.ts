import { requireActor } from '@conduit/auth';
import { problemSchema } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { WorkspaceDeps } from '../deps.js';
import { readChanges } from '../domain/sync/read-changes.js';

const kind = z.enum([
  'preferences',
  'theme',
  'customization',
  'encrypted_chat',
  'media',
  'project',
  'project_chat',
  'project_file',
  'team',
]);

const change = z.union([
  z.object({ kind, id: z.uuid(), deleted: z.literal(false), data: z.record(z.string(), z.unknown()) }),
  z.object({ kind, id: z.uuid(), deleted: z.literal(true), deletedAt: z.iso.datetime() }),
]);

/** Delta sync over everything of the caller's workspace. */
export function syncRoutes(app: ServiceApp, deps: WorkspaceDeps) {
  const route = routeGroup(app, { tags: ['sync'] });
  route.get(
    '/v1/sync',
    {
      summary: 'What changed in my workspace since a cursor: current rows and tombstones of deleted ones',
      description:
        'Without `since`, everything from the start. Each change is a row as it is now (`data`, the same shape as its own route answers; encrypted chats without their body: fetch the chat when its version is new) or a deletion (`deleted: true`). Apply them in order, keep `nextCursor`, and ask again at once while `hasMore`. A `team` change is always a deletion: the caller is no longer in that team, so drop every row whose `teamId` is its id, with the chat and file links of those projects. A 410 (`code: gone`, `resync: true`) means the cursor is older than the deletions the server still remembers (SYNC_TOMBSTONE_RETENTION): drop the local copy and sync again without `since`.',
      querystring: z.object({
        since: z.string().max(8192).optional(),
        limit: z.coerce.number().int().min(1).max(500).default(100),
      }),
      response: z.object({ changes: z.array(change), nextCursor: z.string(), hasMore: z.boolean() }),
      problems: [400, 401],
      responses: { 410: problemSchema.extend({ resync: z.literal(true) }) },
    },
    (request) => readChanges(deps, requireActor(request), request.query),
  );
}
