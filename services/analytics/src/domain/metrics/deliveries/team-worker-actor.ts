import type { Actor } from '@conduit/contracts';

const NOBODY = '00000000-0000-0000-0000-000000000000';

/**
 * Who a report's or alert's job acts as: the team's manager (the only ones who set such work up),
 * so row-level security shows it the team's reports, alerts and their runs and nothing else.
 * `userId` is the work's creator when known (the exploration then runs as they would see it).
 */
export const teamWorkerActor = (teamId: string, userId = NOBODY, orgId: string | null = null): Actor => ({
  userId,
  sessionId: null,
  orgId,
  teams: { [teamId]: 'admin' },
  permissions: [],
  platformAdmin: false,
});
