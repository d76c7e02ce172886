import type { Actor } from '@conduit/contracts';

const NOBODY = '00000000-0000-0000-0000-000000000000';

/**
 * Who a report's or alert's job keeps its books as: the team's manager, so row-level security
 * shows it the team's reports, alerts and their runs and nothing else. It never runs the
 * exploration: that runs as the work's creator in the role identity gives them now
 * (creatorAuthority), and not at all once they no longer manage the team.
 */
export const teamWorkerActor = (teamId: string, userId = NOBODY, orgId: string | null = null): Actor => ({
  userId,
  sessionId: null,
  orgId,
  teams: { [teamId]: 'admin' },
  permissions: [],
  platformAdmin: false,
});
