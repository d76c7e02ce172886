import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnalyticsHarness, startAnalyticsHarness } from '../fixtures/analytics-harness.js';

let h: AnalyticsHarness;

beforeAll(async () => {
  h = await startAnalyticsHarness();
}, 60_000);
afterAll(async () => {
  await h?.close();
});

describe('the analytics service', () => {
  it('is ready, with the consumer lag of every configured stream in the details', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.status).toBe('ok');
    expect(body.checks).toMatchObject({ postgres: 'ok', redis: 'ok', nats: 'ok', 'consumer lag': 'ok' });
    expect(body.details.consumerLag).toEqual({
      identity: 0,
      conversation: 0,
      knowledge: 0,
      workflow: 0,
      email: 0,
    });
  });

  it('applies its migrations: a partitioned event table with row-level security forced on every table', async () => {
    const tables = await h.admin`
      select c.relname, c.relrowsecurity, c.relforcerowsecurity, c.relkind
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'analytics' and c.relkind in ('r', 'p')
        and c.relname in ('user_analytics', 'rollups', 'event_keys')`;
    expect(tables).toHaveLength(3);
    for (const table of tables)
      expect([table.relname, table.relrowsecurity, table.relforcerowsecurity]).toEqual([
        table.relname,
        true,
        true,
      ]);
    expect(tables.find((t) => t.relname === 'user_analytics')!.relkind).toBe('p');
    const partitions = await h.admin`
      select c.relname, c.relforcerowsecurity from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = 'analytics.user_analytics'::regclass`;
    // The default partition, last month, this month and three ahead.
    expect(partitions.length).toBe(6);
    expect(partitions.every((p) => p.relforcerowsecurity)).toBe(true);
  });

  it('answers 401 without a token and serves its OpenAPI document', async () => {
    expect((await h.app.inject({ method: 'GET', url: '/v1/analytics/metrics' })).statusCode).toBe(401);
    const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/analytics/series', '/v1/analytics/events', '/v1/analytics/usage/me']),
    );
  });
});
