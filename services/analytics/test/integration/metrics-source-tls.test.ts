import { randomUUID } from 'node:crypto';
import { type PrivatePostgres, startPrivatePostgres } from '@conduit/testing';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnalyticsHarness, startAnalyticsHarness } from '../fixtures/analytics-harness.js';

// A TLS-only PostgreSQL of the test's own (the machine's shared server has no TLS and must not be
// restarted): a self-signed certificate for "localhost", and plain connections refused. Sources
// are added through the route, which connects before saving.

const PASSWORD = `tls-${randomUUID()}`;
const teamId = randomUUID();

let h: AnalyticsHarness;
let pg: PrivatePostgres;
let token: string;
// A second self-signed certificate: a CA that did not sign the server's.
let otherCa: PrivatePostgres;

// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field
type Body = any;

async function add(connection: Record<string, unknown>): Promise<{ status: number; body: Body }> {
  const res = await h.app.inject({
    method: 'POST',
    url: '/v1/metrics/datasources',
    headers: { authorization: `Bearer ${token}` },
    payload: { teamId, name: `TLS ${connection.tlsMode}`, connection, password: PASSWORD },
  });
  return { status: res.statusCode, body: JSON.parse(res.body) };
}

const base = () => ({ host: 'localhost', port: pg.port, database: 'shop', user: 'reader' });

beforeAll(async () => {
  [pg, otherCa] = await Promise.all([
    startPrivatePostgres({ tls: { hostNames: ['localhost'], only: true } }),
    startPrivatePostgres({ tls: { hostNames: ['localhost'] } }),
  ]);
  const admin = postgres(pg.adminUrl, { max: 1, ssl: { rejectUnauthorized: false }, onnotice: () => {} });
  await admin.unsafe(`create role reader login password '${PASSWORD}'`);
  await admin.unsafe('create database shop owner reader');
  await admin.end();
  h = await startAnalyticsHarness({ worker: false, env: { METRICS_ALLOWED_HOSTS: 'localhost' } });
  token = (await h.tokens.mint({ teams: { [teamId]: 'owner' } })).token;
}, 120_000);

afterAll(async () => {
  await h?.close();
  await Promise.all([pg?.close(), otherCa?.close()]);
});

describe('external sources over TLS', () => {
  it('refuses a plain connection to a TLS-only server, saying why', async () => {
    const plain = await add({ ...base(), tlsMode: 'disable' });
    expect(plain.status).toBe(422);
    expect(plain.body.detail).toMatch(/no encryption|pg_hba/);
  });

  it('connects with require (encrypted, unverified) and runs queries encrypted', async () => {
    const created = await add({ ...base(), tlsMode: 'require' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const schema = await h.app.inject({
      method: 'POST',
      url: '/v1/metrics/dataschemas',
      headers: { authorization: `Bearer ${token}` },
      payload: {
        datasourceId: created.body.id,
        name: 'Link',
        format: 'yaml',
        code: `
cubes:
  - name: link
    sql: "select ssl, version from pg_stat_ssl where pid = pg_backend_pid()"
    dimensions:
      ssl: { type: boolean, sql: "{CUBE}.ssl" }
      version: { type: string, sql: "{CUBE}.version" }
`,
      },
    });
    expect(schema.statusCode, schema.body).toBe(201);
    const answer = await h.app.inject({
      method: 'POST',
      url: '/v1/metrics/query',
      headers: { authorization: `Bearer ${token}` },
      payload: {
        dataschemaId: JSON.parse(schema.body).id,
        query: { dimensions: ['link.ssl', 'link.version'] },
      },
    });
    expect(answer.statusCode, answer.body).toBe(200);
    expect(JSON.parse(answer.body).rows).toEqual([
      { 'link.ssl': true, 'link.version': expect.stringMatching(/^TLSv1\.[23]$/) },
    ]);
  });

  it('connects with verify-full given the CA that signed the server certificate', async () => {
    const created = await add({ ...base(), tlsMode: 'verify-full', caCertificate: pg.certificate });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.connection).toMatchObject({ tlsMode: 'verify-full', caCertificate: pg.certificate });
  });

  it('refuses verify-full with a 422 that says why: no CA, the wrong CA, the wrong host name', async () => {
    const untrusted = await add({ ...base(), tlsMode: 'verify-full' });
    expect(untrusted.status).toBe(422);
    expect(untrusted.body.detail).toContain('not signed by a trusted CA');

    const wrongCa = await add({ ...base(), tlsMode: 'verify-full', caCertificate: otherCa.certificate });
    expect(wrongCa.status).toBe(422);
    expect(wrongCa.body.detail).toContain('not signed by a trusted CA');

    // The same server by its IP address: the certificate names only "localhost".
    const h2 = await startAnalyticsHarness({ worker: false, env: { METRICS_ALLOWED_HOSTS: '127.0.0.1' } });
    try {
      const res = await h2.app.inject({
        method: 'POST',
        url: '/v1/metrics/datasources',
        headers: {
          authorization: `Bearer ${(await h2.tokens.mint({ teams: { [teamId]: 'owner' } })).token}`,
        },
        payload: {
          teamId,
          name: 'By address',
          connection: { ...base(), host: '127.0.0.1', tlsMode: 'verify-full', caCertificate: pg.certificate },
          password: PASSWORD,
        },
      });
      expect(res.statusCode).toBe(422);
      expect(JSON.parse(res.body).detail).toContain('not for that host name');
    } finally {
      await h2.close();
    }
  });

  it('refuses a CA certificate that is not one with 400, naming the field', async () => {
    const bad = await add({ ...base(), tlsMode: 'verify-full', caCertificate: 'not a certificate' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('caCertificate');
  });
});
