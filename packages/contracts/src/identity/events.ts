import { z } from 'zod';
import { defineEvent } from '../event.js';
import { globalSettingsSchema } from './settings.js';

export const userRegistered = defineEvent(
  'identity.user.registered',
  1,
  z.object({
    userId: z.uuid(),
    organizationId: z.uuid(),
    email: z.email(),
    username: z.string(),
    name: z.string().nullable(),
  }),
);

export const userLoggedIn = defineEvent(
  'identity.user.logged_in',
  1,
  z.object({
    userId: z.uuid(),
    sessionId: z.uuid(),
    method: z.enum(['password', 'login_token', 'registration']),
  }),
);

/**
 * A sign-in was refused: wrong password, unknown address or disabled account
 * (`invalid_credentials`), or too many failures (`throttled`). It names the account only when the
 * address belongs to one; the address itself and the password are never in it, so a refused
 * attempt for an address nobody owns leaves no trace of that address.
 */
export const userLoginFailed = defineEvent(
  'identity.user.login_failed',
  1,
  z.object({
    userId: z.uuid().nullable(),
    organizationId: z.uuid().nullable(),
    method: z.enum(['password']),
    reason: z.enum(['invalid_credentials', 'throttled']),
  }),
);

export const sessionRevoked = defineEvent(
  'identity.session.revoked',
  1,
  z.object({
    userId: z.uuid(),
    sessionId: z.uuid(),
    reason: z.enum([
      'logout',
      'revoked_by_user',
      'refresh_token_reuse',
      'password_reset',
      'membership_changed',
    ]),
  }),
);

export const passwordReset = defineEvent('identity.password.reset', 1, z.object({ userId: z.uuid() }));

const teamRole = z.enum(['owner', 'admin', 'member', 'viewer']);
const organizationRole = z.enum(['owner', 'admin', 'member']);

export const organizationCreated = defineEvent(
  'identity.organization.created',
  1,
  z.object({ organizationId: z.uuid(), name: z.string(), slug: z.string(), createdBy: z.uuid() }),
);

export const organizationMemberAdded = defineEvent(
  'identity.organization.member_added',
  1,
  z.object({ organizationId: z.uuid(), userId: z.uuid(), role: organizationRole }),
);

export const teamCreated = defineEvent(
  'identity.team.created',
  1,
  z.object({
    teamId: z.uuid(),
    organizationId: z.uuid(),
    name: z.string(),
    slug: z.string(),
    createdBy: z.uuid(),
  }),
);

export const teamMemberAdded = defineEvent(
  'identity.team.member_added',
  1,
  z.object({ teamId: z.uuid(), organizationId: z.uuid(), userId: z.uuid(), role: teamRole }),
);

export const teamMemberRoleChanged = defineEvent(
  'identity.team.member_role_changed',
  1,
  z.object({ teamId: z.uuid(), organizationId: z.uuid(), userId: z.uuid(), from: teamRole, to: teamRole }),
);

export const teamMemberRemoved = defineEvent(
  'identity.team.member_removed',
  1,
  z.object({
    teamId: z.uuid(),
    organizationId: z.uuid(),
    userId: z.uuid(),
    reason: z.enum(['removed', 'left']),
  }),
);

export const roleGranted = defineEvent(
  'identity.role.granted',
  1,
  z.object({ roleId: z.uuid(), roleName: z.string(), userId: z.uuid(), organizationId: z.uuid().nullable() }),
);

export const roleRevoked = defineEvent(
  'identity.role.revoked',
  1,
  z.object({ roleId: z.uuid(), roleName: z.string(), userId: z.uuid(), organizationId: z.uuid().nullable() }),
);

export const rolePermissionsChanged = defineEvent(
  'identity.role.permissions_changed',
  1,
  z.object({ roleId: z.uuid(), organizationId: z.uuid().nullable(), permissions: z.array(z.string()) }),
);

export const permissionGranted = defineEvent(
  'identity.permission.granted',
  1,
  z.object({ userId: z.uuid(), organizationId: z.uuid(), permission: z.string() }),
);

export const permissionRevoked = defineEvent(
  'identity.permission.revoked',
  1,
  z.object({ userId: z.uuid(), organizationId: z.uuid(), permission: z.string() }),
);

export const subscriptionPlanChanged = defineEvent(
  'identity.subscription.plan_changed',
  1,
  z.object({ subjectType: z.enum(['user', 'team']), subjectId: z.uuid(), from: z.string(), to: z.string() }),
);

/**
 * A platform admin changed the global settings: `changed` names the settings that differ, and
 * `settings` is the whole set as it now is (no secrets are among them).
 */
export const settingsChanged = defineEvent(
  'identity.settings.changed',
  1,
  z.object({
    changed: z.array(z.enum(['siteName', 'defaultPlan', 'signUpOpen', 'defaultModel'])).min(1),
    settings: globalSettingsSchema,
  }),
);

/** Identity's own mails, each a system template of the email service (`email_templates.key`). */
export const identityMailTemplates = [
  'identity.password_reset',
  'identity.login_link',
  'identity.invite',
] as const;

/**
 * A mail identity asks the email service to send from one of its system templates, rendered there
 * with `variables` (which operators' templates may use as `{{name}}`) and sent through MAIL_URL.
 * The variables of a reset or sign-in mail hold its one-time token: the mail exists to deliver it,
 * so the event is a command for the email service only. It is never logged, and the token works
 * once, within its short lifetime, as it would in the mail itself.
 */
export const mailRequested = defineEvent(
  'identity.mail.requested',
  1,
  z.object({
    template: z.enum(identityMailTemplates),
    to: z.email(),
    /** The account it is mailed to; null for an invite to an address that may have none. */
    userId: z.uuid().nullable(),
    variables: z.record(z.string().max(100), z.string().max(2_000)),
  }),
);
