import { RpcError, requestRpc } from '@conduit/bus';
import { type Actor, workspaceRpc } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import type { ConversationDeps } from '../deps.js';

/**
 * A media file as the workspace service describes it to `actor` (rpc.workspace.media.describe):
 * null when it knows no such file; throws unavailable when the workspace service does not answer.
 */
export async function describeMediaAs(deps: ConversationDeps, actor: Actor, mediaId: string) {
  try {
    return await requestRpc(
      deps.bus,
      workspaceRpc.describeMedia,
      { actor: { userId: actor.userId, orgId: actor.orgId, teams: { ...actor.teams } }, mediaId },
      { timeoutMs: deps.env.RPC_TIMEOUT },
    );
  } catch (error) {
    if (error instanceof RpcError && error.code === 'not_found') return null;
    throw new DomainError('unavailable', 'Media cannot be checked right now; please try again shortly.', {
      retryAfterSeconds: 5,
    });
  }
}
