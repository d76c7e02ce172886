import { DomainError } from '@conduit/errors';
import { teamMembershipOf } from '../../../clients/identity-client.js';
import type { AnalyticsDeps } from '../../../deps.js';

/**
 * Mail goes only to the team: every address must be a member's (asked of identity, as the
 * actor sees the team). Throws unprocessable naming the first address that is not, and
 * bad_gateway when identity does not answer.
 */
export async function checkEmailTargets(
  deps: AnalyticsDeps,
  request: { teamId: string; userId: string; emails: readonly string[] | undefined },
) {
  if (!request.emails?.length) return;
  let memberEmails: string[];
  try {
    ({ memberEmails } = await teamMembershipOf(deps, {
      teamId: request.teamId,
      userId: request.userId,
      emails: request.emails,
    }));
  } catch {
    throw new DomainError('bad_gateway', "The team's members could not be looked up; try again.");
  }
  const members = new Set(memberEmails.map((email) => email.toLowerCase()));
  const outsider = request.emails.find((email) => !members.has(email.toLowerCase()));
  if (outsider)
    throw new DomainError('unprocessable', `${outsider} is not the address of a member of the team.`, {
      fields: { 'delivery.emailTo': `${outsider} is not a member's address` },
    });
}
