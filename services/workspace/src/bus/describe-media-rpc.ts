import { asActor } from '@conduit/auth';
import { type Bus, type RpcServer, serveRpc } from '@conduit/bus';
import { type Actor, workspaceRpc } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import { eq } from 'drizzle-orm';
import { media } from '../db/schema.js';
import type { WorkspaceDeps } from '../deps.js';
import { canRead } from '../domain/access/workspace-access.js';

/**
 * `rpc.workspace.media.describe` for services that point at a file (an app's logo): read as the
 * asking user with their teams, so a file they may not see is not_found exactly as an unknown id;
 * a public file is described to anyone, as not `usable` unless it is theirs or their team's.
 * serveRpc maps the DomainError.
 */
export function serveDescribeMediaRpc(bus: Bus, deps: WorkspaceDeps): RpcServer {
  return serveRpc(
    bus,
    workspaceRpc.describeMedia,
    'workspace',
    async ({ actor: asking, mediaId }) => {
      const actor: Actor = {
        userId: asking.userId,
        sessionId: null,
        orgId: asking.orgId ?? null,
        teams: asking.teams ?? {},
        permissions: [],
        platformAdmin: false,
      };
      const [file] = await asActor(deps.db, actor, (tx) =>
        tx.select().from(media).where(eq(media.id, mediaId)),
      );
      const usable = file !== undefined && canRead(actor, file);
      if (!file || !(file.public || usable)) throw new DomainError('not_found', 'No such file.');
      return {
        id: file.id,
        contentType: file.contentType,
        sizeBytes: file.sizeBytes,
        public: file.public,
        usable,
      };
    },
    (error) => deps.log.error({ err: error }, `${workspaceRpc.describeMedia.subject} failed`),
  );
}
