import type { Actor } from '@conduit/contracts';
import { UNPREPARED } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { eq, type SQL, sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { datasources } from '../../../db/schema.js';
import type { AnalyticsDeps } from '../../../deps.js';
import { asViewer, managedTeamIds } from '../../access/viewer-scope.js';
import { type ColumnType, type CompiledQuery, compileQuery } from '../compiler/compile-query.js';
import type { ExplorationQuery } from '../compiler/exploration-query.js';
import type { CubeFile } from '../cubes/cube-schema.js';
import type { DataschemaRow } from '../dataschemas/dataschema-dto.js';
import { findDataschema } from '../dataschemas/find-dataschema.js';
import { connectionOf, type DatasourceRow } from '../datasources/datasource-dto.js';
import { openSourcePassword } from '../datasources/source-password.js';
import { queryProblem } from '../datasources/source-pools.js';
import type { ExplorationResult } from './exploration-result.js';
import { cachedResult, cacheResult, resultCacheKey } from './result-cache.js';

const dialect = new PgDialect();

type Cell = string | number | boolean | null;

/** Timestamps as ISO 8601 UTC, whether the driver gave a Date or Postgres' text. */
function isoTime(value: unknown): string {
  const date =
    value instanceof Date
      ? value
      : new Date(
          String(value)
            .replace(' ', 'T')
            .replace(/([+-]\d{2})$/, '$1:00'),
        );
  return Number.isNaN(date.getTime()) ? String(value) : date.toISOString();
}

function cell(value: unknown, type: ColumnType): Cell {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'time':
      return isoTime(value);
    case 'number':
      return Number(value);
    case 'boolean':
      return typeof value === 'boolean' ? value : value === 't' || value === 'true';
    case 'string':
      if (value instanceof Date) return value.toISOString();
      // A json or array column under a string dimension: its JSON text, not "[object Object]".
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
}

/** Carries a built-in source's answer out of its transaction, which is then rolled back. */
class Answered extends Error {
  constructor(readonly rows: Record<string, unknown>[]) {
    super('answered');
  }
}

/**
 * Runs a compiled query on the built-in source: in the actor's transaction, for the schema's team
 * only, as the role that reads the metrics views and nothing else, with the statement timeout.
 * Member SQL is its writers' own and may change any setting, even the role, mid-statement; so the
 * scope is opened first as a row the statement cannot touch (0010), and the transaction is made
 * read-only before the member SQL runs: row-level security then holds the rows to the scope
 * whatever the statement sets. The transaction is always rolled back, which undoes every setting
 * the statement made, session-level ones too, so nothing of it stays on the pooled connection
 * (and the scope row goes with it).
 */
async function runOnConduit(deps: AnalyticsDeps, actor: Actor, teamId: string, statement: SQL) {
  const manages = actor.platformAdmin || managedTeamIds(actor).includes(teamId);
  const readsOrganization = actor.orgId && actor.permissions.includes('analytics.read') ? actor.orgId : null;
  try {
    await asViewer(deps.db, actor, async (tx) => {
      await tx.execute(sql`select analytics.open_metrics_scope(${teamId}::uuid, ${actor.userId}::uuid,
        ${manages}, ${readsOrganization}::uuid)`);
      await tx.execute(sql`select set_config('app.metrics_team_id', ${teamId}, true),
        set_config('statement_timeout', ${String(deps.env.METRICS_STATEMENT_TIMEOUT)}, true),
        set_config('TimeZone', 'UTC', true),
        set_config('transaction_read_only', 'on', true)`);
      await tx.execute(sql`set local role analytics_metrics_reader`);
      let rows: Record<string, unknown>[];
      try {
        // Built from what users write in their data schemas: each variant is not kept prepared.
        rows = (await tx.execute(sql`${sql.raw(UNPREPARED)}${statement}`)) as unknown as Record<
          string,
          unknown
        >[];
      } catch (error) {
        throw queryProblem(error);
      }
      throw new Answered(rows);
    });
  } catch (error) {
    if (error instanceof Answered) return error.rows;
    throw error;
  }
  throw new Error('the built-in source answered nothing');
}

export interface QueryTarget {
  schema: DataschemaRow;
  source: DatasourceRow;
}

/** The schema and its source, as the actor may read them (not_found otherwise). */
export function loadQueryTarget(
  deps: AnalyticsDeps,
  actor: Actor,
  dataschemaId: string,
): Promise<QueryTarget> {
  return asViewer(deps.db, actor, async (tx) => {
    const schema = await findDataschema(tx, actor, dataschemaId);
    const [source] = await tx.select().from(datasources).where(eq(datasources.id, schema.datasourceId));
    if (!source) throw new DomainError('not_found', 'No such data schema.');
    return { schema, source };
  });
}

/** Compiles a query against a schema's latest version; throws as compileQuery does (400 / 422). */
export function compileFor(
  deps: AnalyticsDeps,
  schema: DataschemaRow,
  query: ExplorationQuery,
): CompiledQuery {
  return compileQuery(schema.cubes as CubeFile, query, {
    now: deps.metrics.now(),
    rowCap: deps.metrics.rowCap,
  });
}

/**
 * Runs a query of a data schema's members: compiled to one parameterized statement, answered from
 * the short-lived cache when the same statement ran lately, else run on the schema's source
 * (read-only, statement timeout, row cap). Throws not_found for a schema the actor cannot see,
 * bad_request / unprocessable for a query that does not fit the schema, unprocessable when the
 * source refuses the statement (a timeout, a write), bad_gateway when it cannot be reached.
 */
export async function runQuery(
  deps: AnalyticsDeps,
  actor: Actor,
  input: { dataschemaId: string; query: ExplorationQuery },
): Promise<ExplorationResult> {
  const { schema, source } = await loadQueryTarget(deps, actor, input.dataschemaId);
  const compiled = compileFor(deps, schema, input.query);
  const rendered = dialect.sqlToQuery(compiled.statement);
  const builtIn = source.dbType === 'conduit';
  const key = resultCacheKey({
    team: schema.teamId,
    schema: schema.id,
    version: schema.version,
    source: source.id,
    sourceVersion: source.updatedAt.toISOString(),
    sql: rendered.sql,
    params: rendered.params,
    // The built-in source answers what row-level security lets this actor see.
    viewer: builtIn
      ? {
          user: actor.userId,
          managed: managedTeamIds(actor),
          org: actor.orgId,
          admin: actor.platformAdmin,
          perms: actor.permissions,
        }
      : null,
  });
  const cached = await cachedResult(deps.redis, key);
  if (cached) return { ...cached, cached: true };

  const started = performance.now();
  let rows: Record<string, unknown>[];
  if (builtIn) rows = await runOnConduit(deps, actor, schema.teamId, compiled.statement);
  else {
    const connection = connectionOf(source)!;
    rows = await deps.metrics.pools.query(
      source.id,
      source.updatedAt.toISOString(),
      () => ({ ...connection, password: openSourcePassword(deps.metrics.box, source) }),
      rendered.sql,
      rendered.params,
    );
  }
  const durationMs = Math.round((performance.now() - started) * 100) / 100;

  const result: ExplorationResult = {
    columns: compiled.columns,
    rows: rows
      .slice(0, compiled.limit)
      .map((row) => Object.fromEntries(compiled.columns.map((c) => [c.name, cell(row[c.name], c.type)]))),
    sql: rendered.sql,
    params: rendered.params,
    durationMs,
    truncated: rows.length > compiled.limit,
    cached: false,
    dataschemaVersion: schema.version,
  };
  await cacheResult(deps.redis, key, result, deps.metrics.cacheTtlMs);
  return result;
}
