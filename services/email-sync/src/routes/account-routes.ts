import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { MailDeps } from '../deps.js';
import { accountDto } from '../domain/accounts/account-dto.js';
import { createAccountInput, updateAccountInput } from '../domain/accounts/account-input.js';
import { createAccount } from '../domain/accounts/create-account.js';
import { deleteAccount } from '../domain/accounts/delete-account.js';
import { getAccount, listAccounts } from '../domain/accounts/read-accounts.js';
import { requestSync } from '../domain/accounts/request-sync.js';
import { updateAccount } from '../domain/accounts/update-account.js';

export const accountParams = z.object({ accountId: z.uuid() });

/** Mail accounts: connect, list, change, disconnect, sync now. Registered behind `authenticate`. */
export function accountRoutes(app: ServiceApp, deps: MailDeps) {
  const route = routeGroup(app, { tags: ['mail accounts'] });

  route.post(
    '/v1/mail/accounts',
    {
      summary: "Connect a mailbox (mine or my team's); IMAP and SMTP are tried first",
      body: createAccountInput,
      status: 201,
      response: accountDto,
      problems: [400, 401, 403, 404, 422],
    },
    (request) => createAccount(deps, requireActor(request), request.body),
  );

  route.get(
    '/v1/mail/accounts',
    {
      summary: "My mail accounts and my teams' (never their passwords)",
      querystring: pageQuery,
      response: pageOf(accountDto),
      problems: [400, 401],
    },
    (request) => listAccounts(deps, requireActor(request), request.query),
  );

  route.get(
    '/v1/mail/accounts/:accountId',
    {
      summary: 'A mail account with its sync state',
      params: accountParams,
      response: accountDto,
      problems: [400, 401, 404],
    },
    (request) => getAccount(deps, requireActor(request), request.params.accountId),
  );

  route.patch(
    '/v1/mail/accounts/:accountId',
    {
      summary: 'Change a mail account (new servers or credentials are tried first)',
      params: accountParams,
      body: updateAccountInput,
      response: accountDto,
      problems: [400, 401, 403, 404, 422],
    },
    (request) => updateAccount(deps, requireActor(request), request.params.accountId, request.body),
  );

  route.delete(
    '/v1/mail/accounts/:accountId',
    {
      summary: 'Disconnect a mailbox (its synced copy goes; the mail on the server stays)',
      params: accountParams,
      status: 204,
      problems: [400, 401, 403, 404],
    },
    (request) => deleteAccount(deps, requireActor(request), request.params.accountId),
  );

  route.post(
    '/v1/mail/accounts/:accountId/sync',
    {
      summary: 'Sync a mail account now',
      params: accountParams,
      status: 202,
      response: z.object({ queued: z.boolean() }),
      problems: [400, 401, 403, 404, 409],
    },
    (request) => requestSync(deps, requireActor(request), request.params.accountId),
  );
}
