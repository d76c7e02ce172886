import type { TeamRole } from '@conduit/contracts';
import { teamMembershipOf } from '../../../clients/identity-client.js';
import type { DeliveryTargets } from '../../../db/delivery-schema.js';
import type { AnalyticsDeps } from '../../../deps.js';

/** The creator's role, and the work's targets with only the addresses that are still members'. */
export type CreatorAuthority = { role: TeamRole; delivery: DeliveryTargets } | { pausedBecause: string };

/**
 * Whether a report's or alert's creator still manages its team, asked of identity on every run:
 * the work acts as them (their exploration, as they would see it), so it may not outlive their
 * right to set it up. Mail goes only to addresses that are still members' (someone who left the
 * team gets no more of its numbers). Throws when identity does not answer: the run fails and is
 * retried, it never acts on an unknown role.
 */
export async function creatorAuthority(
  deps: AnalyticsDeps,
  work: { teamId: string; userId: string; delivery: DeliveryTargets },
): Promise<CreatorAuthority> {
  const { role, memberEmails } = await teamMembershipOf(deps, {
    teamId: work.teamId,
    userId: work.userId,
    emails: work.delivery.emailTo ?? [],
  });
  if (role === 'owner' || role === 'admin') {
    const { emailTo: _asked, ...others } = work.delivery;
    return { role, delivery: memberEmails.length ? { ...others, emailTo: memberEmails } : others };
  }
  return {
    pausedBecause:
      role === null
        ? 'Paused: its creator is no longer in the team.'
        : `Paused: its creator is no longer an owner or admin of the team (now ${role}).`,
  };
}
