import { z } from 'zod';
import { defineEvent } from '../event.js';

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

export const sessionRevoked = defineEvent(
  'identity.session.revoked',
  1,
  z.object({
    userId: z.uuid(),
    sessionId: z.uuid(),
    reason: z.enum(['logout', 'revoked_by_user', 'refresh_token_reuse', 'password_reset']),
  }),
);

export const passwordReset = defineEvent('identity.password.reset', 1, z.object({ userId: z.uuid() }));
