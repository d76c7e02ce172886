import { requestRpc } from '@conduit/bus';
import { type TeamRole, teamMembership } from '@conduit/contracts';
import type { AnalyticsDeps } from '../../../deps.js';

/** How long a run waits for identity before it fails (and is retried) rather than acting. */
const IDENTITY_TIMEOUT_MS = 5_000;

export type CreatorAuthority = { role: TeamRole } | { pausedBecause: string };

/**
 * Whether a report's or alert's creator still manages its team, asked of identity on every run:
 * the work acts as them (their exploration, as they would see it), so it may not outlive their
 * right to set it up. Throws when identity does not answer: the run fails and is retried, it
 * never acts on an unknown role.
 */
export async function creatorAuthority(
  deps: AnalyticsDeps,
  work: { teamId: string; userId: string },
): Promise<CreatorAuthority> {
  const { role } = await requestRpc(
    deps.bus,
    teamMembership,
    { teamId: work.teamId, userId: work.userId, emails: [] },
    { timeoutMs: IDENTITY_TIMEOUT_MS },
  );
  if (role === 'owner' || role === 'admin') return { role };
  return {
    pausedBecause:
      role === null
        ? 'Paused: its creator is no longer in the team.'
        : `Paused: its creator is no longer an owner or admin of the team (now ${role}).`,
  };
}
