import { authResultDto, readableText, storableText, tokenPairDto } from '@conduit/contracts';
import { problemResponses, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { IdentityDeps } from '../deps.js';
import { login } from '../domain/auth/login.js';
import { redeemLoginToken, requestLoginToken } from '../domain/auth/login-token.js';
import { confirmPasswordReset, requestPasswordReset } from '../domain/auth/password-reset.js';
import { refresh } from '../domain/auth/refresh.js';
import { register } from '../domain/auth/register.js';
import { newPasswordSchema } from '../domain/passwords/password-policy.js';
import { USERNAME_PATTERN } from '../domain/users/username.js';
import { clientInfo } from './client-info.js';

const email = storableText(254).trim().pipe(z.email());
const opaqueToken = storableText(200).min(20);
const tags = ['auth'];

/** The public authentication routes: nothing here needs an access token. */
export function authRoutes(app: ServiceApp, deps: IdentityDeps) {
  app.post(
    '/v1/auth/register',
    {
      schema: {
        tags,
        summary: 'Create an account (with a personal organization, or in the inviting one) and sign in',
        body: z.object({
          email,
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
        response: { 201: authResultDto, ...problemResponses(400, 404, 409, 422, 429) },
      },
    },
    async (request, reply) => reply.code(201).send(await register(deps, request.body, clientInfo(request))),
  );

  app.post(
    '/v1/auth/login',
    {
      schema: {
        tags,
        summary: 'Sign in with email and password',
        description:
          'Wrong passwords slow the address they come from (429 with Retry-After), not the account: a device that sends the current refresh token of a live session of this account signs in regardless.',
        body: z.object({
          email,
          password: storableText(1024).min(1),
          refreshToken: opaqueToken
            .optional()
            .describe("this device's refresh token, if it still holds a live session of the account"),
        }),
        response: { 200: authResultDto, ...problemResponses(400, 401, 429, 503) },
      },
    },
    async (request) => login(deps, request.body, clientInfo(request)),
  );

  app.post(
    '/v1/auth/refresh',
    {
      schema: {
        tags,
        summary:
          'Exchange a refresh token for a new token pair (the old one is spent); optionally switch organization',
        body: z.object({
          refreshToken: opaqueToken,
          organizationId: z.uuid().optional().describe('act in this organization of mine from now on'),
        }),
        response: { 200: tokenPairDto, ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => refresh(deps, request.body.refreshToken, request.body.organizationId),
  );

  app.post(
    '/v1/auth/password-reset',
    {
      schema: {
        tags,
        summary: 'Mail a password reset token (always 202, whether or not the account exists)',
        body: z.object({ email }),
        response: { 202: z.null(), ...problemResponses(400, 429) },
      },
    },
    async (request, reply) => {
      await requestPasswordReset(deps, request.body.email, clientInfo(request));
      return reply.code(202).send(null);
    },
  );

  app.post(
    '/v1/auth/password-reset/confirm',
    {
      schema: {
        tags,
        summary: 'Set a new password with a reset token; signs out every session',
        body: z.object({ token: opaqueToken, password: newPasswordSchema }),
        response: { 204: z.null(), ...problemResponses(400, 422) },
      },
    },
    async (request, reply) => {
      await confirmPasswordReset(deps, request.body, clientInfo(request));
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/auth/login-token',
    {
      schema: {
        tags,
        summary: 'Mail a one-time sign-in token (always 202)',
        body: z.object({ email }),
        response: { 202: z.null(), ...problemResponses(400, 429) },
      },
    },
    async (request, reply) => {
      await requestLoginToken(deps, request.body.email, clientInfo(request));
      return reply.code(202).send(null);
    },
  );

  app.post(
    '/v1/auth/login-token/redeem',
    {
      schema: {
        tags,
        summary: 'Sign in with a one-time token',
        body: z.object({ token: opaqueToken }),
        response: { 200: authResultDto, ...problemResponses(400, 401) },
      },
    },
    async (request) => redeemLoginToken(deps, request.body.token, clientInfo(request)),
  );
}
