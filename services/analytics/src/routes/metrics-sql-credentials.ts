import { requireActor } from '@conduit/auth';
import { pageOf, pageQuery, readableText } from '@conduit/contracts';
import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';
import type { AnalyticsDeps } from '../deps.js';
import { createSqlCredential } from '../domain/metrics/sql-credentials/create-sql-credential.js';
import {
  getSqlCredential,
  listSqlCredentials,
} from '../domain/metrics/sql-credentials/list-sql-credentials.js';
import { revokeSqlCredential } from '../domain/metrics/sql-credentials/revoke-sql-credential.js';
import { MAX_SQL_CONNECTIONS } from '../env.js';

const tags = ['metrics: SQL access'];
const params = z.object({ credentialId: z.uuid() });

const sqlCredentialDto = z.object({
  id: z.uuid(),
  teamId: z.uuid(),
  name: z.string(),
  username: z.string(),
  connectionLimit: z.number().int(),
  createdBy: z.uuid(),
  createdAt: z.string(),
});

/** The create answer: the one time the password is shown, with where to connect. */
const createdSqlCredentialDto = sqlCredentialDto.extend({
  password: z.string(),
  host: z.string(),
  port: z.number().int(),
  database: z.string(),
});

/** SQL credentials for BI tools (a team's read-only Postgres logins); behind `authenticate`. */
export function metricsSqlCredentialRoutes(app: ServiceApp, deps: AnalyticsDeps) {
  const route = routeGroup(app, { tags });
  route.post(
    '/v1/metrics/sql-credentials',
    {
      summary: "Create a BI tool's read-only Postgres login for a team (the password is shown once)",
      description:
        'The login reads the views analytics.team_events and analytics.team_counters, which show only the team’s rows. It cannot write (it is granted SELECT only, and no temporary tables), whatever its session sets; read-only transactions and a 60 s statement timeout are its session defaults, which a BI tool may change. It holds at most connectionLimit connections (5 at most); a team holds at most METRICS_SQL_CREDENTIALS_PER_TEAM (5) logins (409 beyond).',
      body: z
        .object({
          teamId: z.uuid(),
          name: readableText(200),
          connectionLimit: z.number().int().min(1).max(MAX_SQL_CONNECTIONS).optional(),
        })
        .strict(),
      status: 201,
      response: createdSqlCredentialDto,
      problems: [400, 401, 403, 404, 409],
    },
    (request) => createSqlCredential(deps, requireActor(request), request.body),
  );

  route.get(
    '/v1/metrics/sql-credentials',
    {
      summary: "A team's SQL credentials (never their passwords)",
      querystring: pageQuery.extend({ teamId: z.uuid() }),
      response: pageOf(sqlCredentialDto),
      problems: [400, 401, 404],
    },
    (request) => listSqlCredentials(deps, requireActor(request), request.query),
  );

  route.get(
    '/v1/metrics/sql-credentials/:credentialId',
    {
      summary: 'A SQL credential (never its password)',
      params,
      response: sqlCredentialDto,
      problems: [400, 401, 404],
    },
    (request) => getSqlCredential(deps, requireActor(request), request.params.credentialId),
  );

  route.delete(
    '/v1/metrics/sql-credentials/:credentialId',
    {
      summary: 'Revoke a SQL credential: its sessions end and its login is dropped',
      params,
      status: 204,
      problems: [400, 401, 403, 404],
    },
    (request) => revokeSqlCredential(deps, requireActor(request), request.params.credentialId),
  );
}
