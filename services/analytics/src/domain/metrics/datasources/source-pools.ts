import { isIP } from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { DomainError } from '@conduit/errors';
import type { AddressCheck } from '@conduit/outbound-http';
import type { Logger } from '@conduit/service-kit';
import postgres from 'postgres';
import type { ConnectionSettings } from './connection-settings.js';

/**
 * Connections to teams' external PostgreSQL sources: a small pool per source (and per version of
 * its settings, so a changed source never reuses a connection made with the old ones), idle
 * connections closed after a while, every pool closed on delete, change and shutdown. Every
 * query runs in a read-only transaction with a statement timeout; the host is resolved and checked
 * like any outbound connection and the pool connects to the checked address.
 */

export interface PoolSettings {
  poolSize: number;
  idleTimeoutMs: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
}

export interface SourceConnection extends ConnectionSettings {
  password: string;
}

/** What a source answered: its rows as postgres.js reads them. */
export type SourceRows = Record<string, unknown>[];

const errorCode = (error: unknown) => (error as { code?: string })?.code;

const TLS_TRUST_ERRORS = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
]);

/** Why connecting failed, in words fit for the team (never the password, which no error carries). */
export function connectionProblem(error: unknown): string {
  const code = errorCode(error);
  const message = (error as Error)?.message ?? String(error);
  if (code === '28P01' || code === '28000') return `the server refused the user or password (${message})`;
  if (code === '3D000') return `the database does not exist (${message})`;
  if (code === 'ECONNREFUSED') return 'nothing accepts connections at that host and port';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'the host name does not resolve';
  if (code === 'CONNECT_TIMEOUT' || code === 'ETIMEDOUT') return 'connecting timed out';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return `the server's certificate is not for that host name (TLS verify-full: ${message})`;
  if (code && TLS_TRUST_ERRORS.has(code))
    return `the server's certificate is not signed by a trusted CA (TLS verify-full: ${message}); give the CA's certificate as caCertificate`;
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID')
    return `the server's certificate is not valid now (TLS: ${message})`;
  return message.slice(0, 300);
}

/** A failure of a query on a source, as the caller should see it. */
export function queryProblem(error: unknown): DomainError {
  const cause = (error as { cause?: unknown })?.cause ?? error;
  const code = errorCode(cause);
  const message = ((cause as Error)?.message ?? '').slice(0, 300);
  if (code === '57014')
    return new DomainError(
      'unprocessable',
      'The query ran longer than the statement timeout and was cancelled.',
    );
  if (code === '25006') return new DomainError('unprocessable', `The source is read only here: ${message}`);
  if (code === '42501') return new DomainError('unprocessable', `The query may not read that: ${message}`);
  if (code && /^(22|42|2F|0A|21|23|P0)/.test(code))
    return new DomainError('unprocessable', `The source refused the compiled query: ${message}`);
  if (code && /^(08|ECONN|ENOTFOUND|EAI_AGAIN|CONNECT_TIMEOUT|ETIMEDOUT|CONNECTION)/.test(code))
    return new DomainError(
      'bad_gateway',
      `The data source could not be reached: ${connectionProblem(cause)}`,
    );
  if (cause instanceof DomainError) return cause;
  return new DomainError('bad_gateway', 'The data source failed to answer.');
}

export function createSourcePools(options: { addresses: AddressCheck; settings: PoolSettings; log: Logger }) {
  const { addresses, settings, log } = options;
  const pools = new Map<string, { key: string; sql: postgres.Sql }>();

  async function open(connection: SourceConnection, max: number): Promise<postgres.Sql> {
    const [address] = await addresses.resolve(connection.host);
    const ssl =
      connection.tlsMode === 'disable'
        ? false
        : connection.tlsMode === 'require'
          ? { rejectUnauthorized: false, ...(isIP(connection.host) ? {} : { servername: connection.host }) }
          : {
              rejectUnauthorized: true,
              // The pool dials the checked address, so the certificate is checked against the
              // host the team gave, named or an IP (SNI carries names only).
              ...(isIP(connection.host) ? {} : { servername: connection.host }),
              checkServerIdentity: (_: string, cert: PeerCertificate) =>
                checkServerIdentity(connection.host.replace(/^\[|\]$/g, ''), cert),
              ...(connection.caCertificate ? { ca: connection.caCertificate } : {}),
            };
    return postgres({
      host: address!.address,
      port: connection.port,
      database: connection.database,
      username: connection.user,
      password: connection.password,
      ssl,
      max,
      idle_timeout: Math.max(1, Math.round(settings.idleTimeoutMs / 1000)),
      connect_timeout: Math.max(1, Math.round(settings.connectTimeoutMs / 1000)),
      // No prepared statements: each compiled query is different, and poolers may sit in between.
      prepare: false,
      onnotice: () => {},
      connection: { application_name: 'conduit-metrics' },
    });
  }

  async function readOnly<T>(sql: postgres.Sql, fn: (tx: postgres.TransactionSql) => Promise<T>): Promise<T> {
    return (await sql.begin('read only', async (tx) => {
      await tx`select set_config('statement_timeout', ${String(settings.statementTimeoutMs)}, true),
                      set_config('TimeZone', 'UTC', true)`;
      return fn(tx);
    })) as T;
  }

  async function close(sourceId: string) {
    const pool = pools.get(sourceId);
    if (!pool) return;
    pools.delete(sourceId);
    await pool.sql
      .end({ timeout: 5 })
      .catch((error: unknown) => log.warn({ err: error, sourceId }, 'closing a source pool failed'));
  }

  return {
    /**
     * Connects once with these settings and runs `select 1` read-only. Throws unprocessable (422)
     * saying why it failed: a refused address, a name that does not resolve, a refused login.
     */
    async check(connection: SourceConnection): Promise<void> {
      let sql: postgres.Sql | undefined;
      try {
        sql = await open(connection, 1);
        await readOnly(sql, (tx) => tx`select 1`);
      } catch (error) {
        throw new DomainError(
          'unprocessable',
          `Could not connect to the data source: ${connectionProblem(error)}`,
        );
      } finally {
        await sql?.end({ timeout: 5 }).catch(() => {});
      }
    },

    /**
     * Runs one parameterized statement on the source's pool, read-only with the statement timeout.
     * `version` tells settings apart (the row's updated_at): a changed source gets a new pool.
     */
    async query(
      sourceId: string,
      version: string,
      connection: () => SourceConnection,
      text: string,
      params: unknown[],
    ) {
      let pool = pools.get(sourceId);
      if (pool && pool.key !== version) {
        await close(sourceId);
        pool = undefined;
      }
      if (!pool) {
        let sql: postgres.Sql;
        try {
          sql = await open(connection(), settings.poolSize);
        } catch (error) {
          throw new DomainError(
            'bad_gateway',
            `The data source could not be reached: ${connectionProblem(error)}`,
          );
        }
        // Another request may have made one meanwhile: keep the first.
        const raced = pools.get(sourceId);
        if (raced?.key === version) {
          await sql.end({ timeout: 1 });
          pool = raced;
        } else {
          pool = { key: version, sql };
          pools.set(sourceId, pool);
        }
      }
      try {
        return (await readOnly(pool.sql, (tx) =>
          tx.unsafe(text, params as postgres.ParameterOrJSON<never>[]),
        )) as SourceRows;
      } catch (error) {
        throw queryProblem(error);
      }
    },

    /** Closes a source's pool (deleted or changed). */
    close,

    async closeAll() {
      await Promise.all([...pools.keys()].map(close));
    },
  };
}

export type SourcePools = ReturnType<typeof createSourcePools>;
