import { authResultDto, readableText, storableText, tokenPairDto } from '@conduit/contracts';
import { clientInfo, routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { IdentityDeps } from '../deps.js';
import { login } from '../domain/auth/login.js';
import { redeemLoginToken, requestLoginToken } from '../domain/auth/login-token.js';
import { confirmPasswordReset, requestPasswordReset } from '../domain/auth/password-reset.js';
import { refresh } from '../domain/auth/refresh.js';
import { register } from '../domain/auth/register.js';
import { newPasswordSchema } from '../domain/passwords/password-policy.js';
import { emailAddress } from '../domain/users/email-address.js';
import { USERNAME_PATTERN } from '../domain/users/username.js';

const opaqueToken = storableText(200).min(20);
const tags = ['auth'];

/** The public authentication routes: nothing here needs an access token. */
export function authRoutes(app: ServiceApp, deps: IdentityDeps) {
  const route = routeGroup(app, { tags, security: null });
  route.post(
    '/v1/auth/register',
    {
      summary: 'Create an account (with a personal organization, or in the inviting one) and sign in',
      body: z.object({
        email: emailAddress,
        password: newPasswordSchema,
        username: z
          .string()
          .max(40)
          .regex(USERNAME_PATTERN, '3-40 letters, digits, ".", "_" or "-", starting with a letter or digit')
          .optional(),
        name: readableText(200).optional(),
        inviteToken: opaqueToken
          .optional()
          .describe('an invite sent to this email: join that organization instead of getting one'),
      }),
      status: 201,
      response: authResultDto,
      problems: [400, 403, 404, 409, 422, 429],
    },
    (request) => register(deps, request.body, clientInfo(request)),
  );

  route.post(
    '/v1/auth/login',
    {
      summary: 'Sign in with email and password',
      description:
        'Wrong passwords slow the address they come from (429 with Retry-After), not the account: a device that sends the current refresh token of a live session of this account signs in regardless.',
      body: z.object({
        email: emailAddress,
        password: storableText(1024).min(1),
        refreshToken: opaqueToken
          .optional()
          .describe("this device's refresh token, if it still holds a live session of the account"),
      }),
      response: authResultDto,
      problems: [400, 401, 429, 503],
    },
    (request) => login(deps, request.body, clientInfo(request)),
  );

  route.post(
    '/v1/auth/refresh',
    {
      summary:
        'Exchange a refresh token for a new token pair (the old one is spent); optionally switch organization',
      body: z.object({
        refreshToken: opaqueToken,
        organizationId: z.uuid().optional().describe('act in this organization of mine from now on'),
      }),
      response: tokenPairDto,
      problems: [400, 401, 404],
    },
    (request) => refresh(deps, request.body.refreshToken, request.body.organizationId),
  );

  route.post(
    '/v1/auth/password-reset',
    {
      summary: 'Mail a password reset token (always 202, whether or not the account exists)',
      body: z.object({ email: emailAddress }),
      status: 202,
      problems: [400, 429],
    },
    (request) => requestPasswordReset(deps, request.body.email, clientInfo(request)),
  );

  route.post(
    '/v1/auth/password-reset/confirm',
    {
      summary: 'Set a new password with a reset token; signs out every session',
      body: z.object({ token: opaqueToken, password: newPasswordSchema }),
      status: 204,
      problems: [400, 422],
    },
    (request) => confirmPasswordReset(deps, request.body, clientInfo(request)),
  );

  route.post(
    '/v1/auth/login-token',
    {
      summary: 'Mail a one-time sign-in token (always 202)',
      body: z.object({ email: emailAddress }),
      status: 202,
      problems: [400, 429],
    },
    (request) => requestLoginToken(deps, request.body.email, clientInfo(request)),
  );

  route.post(
    '/v1/auth/login-token/redeem',
    {
      summary: 'Sign in with a one-time token',
      body: z.object({ token: opaqueToken }),
      response: authResultDto,
      problems: [400, 401],
    },
    (request) => redeemLoginToken(deps, request.body.token, clientInfo(request)),
  );
}
