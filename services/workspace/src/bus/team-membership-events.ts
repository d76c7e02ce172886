import { identityEvents } from '@conduit/contracts';
import { type BackgroundTask, consumeEvent } from '@conduit/runtime';
import type { WorkspaceDeps } from '../deps.js';
import { recordTeamDeparture, recordTeamReturn } from '../domain/sync/sync-history.js';

/**
 * A member removed from a team, or leaving it, no longer reads the team's sync scope, where its
 * tombstones are: their own scope gets a departure instead (see sync-history.ts).
 */
export const teamMemberRemovedConsumer = consumeEvent<WorkspaceDeps, typeof identityEvents.teamMemberRemoved>(
  {
    event: identityEvents.teamMemberRemoved,
    name: 'team-member-removed',
    apply: (_deps, tx, envelope) =>
      recordTeamDeparture(tx, {
        userId: envelope.data.userId,
        teamId: envelope.data.teamId,
        at: new Date(envelope.occurredAt),
      }),
  },
);

/** Joining a team again undoes an earlier departure from it. */
export const teamMemberAddedConsumer = consumeEvent<WorkspaceDeps, typeof identityEvents.teamMemberAdded>({
  event: identityEvents.teamMemberAdded,
  name: 'team-member-added',
  apply: (_deps, tx, envelope) =>
    recordTeamReturn(tx, {
      userId: envelope.data.userId,
      teamId: envelope.data.teamId,
      at: new Date(envelope.occurredAt),
    }),
});

/**
 * Before the consumers start: identity's stream must exist for durable consumers on it. When this
 * worker starts first (a fresh cluster, a test's own bus namespace) it creates it with the one
 * configuration every service's stream has, which identity's relay then finds in place.
 */
export const identityStream: BackgroundTask<WorkspaceDeps> = {
  name: 'identity stream',
  async start(deps) {
    await deps.bus.ensureStream('identity');
    return { stop: async () => {} };
  },
};
