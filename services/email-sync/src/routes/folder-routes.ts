import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import type { MailDeps } from '../deps.js';
import { folderDto } from '../domain/folders/folder-dto.js';
import { listFolders } from '../domain/folders/list-folders.js';
import { accountParams } from './account-routes.js';

/** An account's folders with counts and first-sync progress. Registered behind `authenticate`. */
export function folderRoutes(app: ServiceApp, deps: MailDeps) {
  const route = routeGroup(app, { tags: ['mail'] });
  route.get(
    '/v1/mail/accounts/:accountId/folders',
    {
      summary: "A mail account's folders with their counts and sync progress",
      params: accountParams,
      querystring: pageQuery,
      response: pageOf(folderDto),
      problems: [400, 401, 404],
    },
    (request) => listFolders(deps, requireActor(request), request.params.accountId, request.query),
  );
}
