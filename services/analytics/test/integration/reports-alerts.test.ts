import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { localServices } from '@conduit/testing';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnalyticsHarness, bearer, startAnalyticsHarness } from '../fixtures/analytics-harness.js';
import { startWebhookSink } from '../fixtures/webhook-sink.js';
import { exited, startWorkerChild } from '../fixtures/worker-process.js';

// Reports and alerts as they run: two worker processes on one queue, a webhook sink that checks
// every signature, the built-in source's events of one team as the numbers.
const EVERY_TWO_SECONDS = '*/2 * * * * *';
const NEVER_SOON = '0 0 1 1 *';
let h: AnalyticsHarness;
let sink: Awaited<ReturnType<typeof startWebhookSink>>;
const workers: ChildProcess[] = [];
const orgId = randomUUID();
const teamId = randomUUID();
type Who = 'owner' | 'admin' | 'member' | 'stranger';
const people = {} as Record<Who, { token: string; userId: string }>;
let explorationId: string;
const secrets: string[] = [];

const call = async (who: Who | null, method: string, url: string, payload?: unknown) => {
  const res = await h.app.inject({
    method: method as 'GET',
    url,
    headers: who ? bearer(people[who].token) : {},
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
  return res;
};

async function waitFor<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  timeoutMs = 90_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value).slice(0, 2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

interface Run {
  id: string;
  tickAt: string;
  trigger: string;
  status: string;
  attempts: number;
  rowCount: number | null;
  delivery: { webhook?: { ok: boolean; status?: number | null; attempts: number; error?: string } };
  error: string | null;
}
interface Evaluation extends Run {
  outcome: 'ok' | 'firing' | null;
  notified: string | null;
}

const runsOf = async (reportId: string): Promise<Run[]> =>
  (await call('member', 'GET', `/v1/metrics/reports/${reportId}/runs?limit=100`)).json().items;
const evaluationsOf = async (alertId: string): Promise<Evaluation[]> =>
  (await call('member', 'GET', `/v1/metrics/alerts/${alertId}/evaluations?limit=100`)).json().items;

async function createReport(path: string, schedule: string, format = 'csv') {
  const res = await call('owner', 'POST', '/v1/metrics/reports', {
    explorationId,
    name: `Events ${path}`,
    schedule,
    timeZone: 'Europe/Paris',
    format,
    delivery: { webhookUrl: sink.url(path) },
  });
  expect(res.statusCode, res.body).toBe(201);
  const report = res.json();
  expect(report.webhookSecret).toMatch(/^whsec_/);
  sink.expect(path, report.webhookSecret);
  secrets.push(report.webhookSecret);
  return report as { id: string; webhookSecret: string };
}

beforeAll(async () => {
  h = await startAnalyticsHarness({
    worker: false,
    // Ticks two seconds apart, so the test sees many; the default gap is five minutes.
    env: { METRICS_ALLOWED_HOSTS: '127.0.0.1', METRICS_CACHE_TTL: '0', METRICS_MIN_SCHEDULE_GAP: '2s' },
  });
  sink = await startWebhookSink();
  workers.push(startWorkerChild(h.childEnv), startWorkerChild(h.childEnv));
  const claims: Record<Who, Parameters<typeof h.tokens.mint>[0]> = {
    owner: { orgId, teams: { [teamId]: 'owner' } },
    admin: { orgId, teams: { [teamId]: 'admin' } },
    member: { orgId, teams: { [teamId]: 'member' } },
    stranger: { orgId: randomUUID(), teams: { [randomUUID()]: 'owner' } },
  };
  for (const [who, claim] of Object.entries(claims)) people[who as Who] = await h.tokens.mint(claim);
  const events = await call('owner', 'POST', '/v1/analytics/events', {
    events: [1, 2, 3].map((n) => ({
      idempotencyKey: String(n),
      type: 'click',
      occurredAt: new Date().toISOString(),
      teamId,
    })),
  });
  expect(events.json().recorded).toBe(3);
  const schemas = await call('owner', 'GET', `/v1/metrics/dataschemas?teamId=${teamId}`);
  expect(schemas.statusCode, schemas.body).toBe(200);
  const builtIn = schemas.json().items[0];
  const exploration = await call('owner', 'POST', '/v1/metrics/explorations', {
    dataschemaId: builtIn.id,
    name: 'Events of the team',
    query: { measures: ['events.count'], dimensions: [] },
  });
  expect(exploration.statusCode, exploration.body).toBe(201);
  explorationId = exploration.json().id;
}, 120_000);

afterAll(async () => {
  for (const worker of workers) worker.kill('SIGTERM');
  await Promise.all(workers.map(exited));
  await sink?.close();
  await h?.close();
});

describe('reports', { timeout: 180_000 }, () => {
  it('delivers each tick once, signed, across two worker processes', async () => {
    const report = await createReport('/ticks', EVERY_TWO_SECONDS);
    await waitFor(
      async () => sink.taken('/ticks').length,
      (n) => n >= 4,
      'four deliveries',
    );
    const paused = await call('admin', 'PATCH', `/v1/metrics/reports/${report.id}`, { enabled: false });
    expect(paused.statusCode).toBe(200);
    const runs = await waitFor(
      () => runsOf(report.id),
      (list) => list.every((r) => r.status !== 'running'),
      'runs to settle',
    );
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const settled = await runsOf(report.id);
    expect(settled.length).toBe(runs.length);
    const deliveries = sink.all('/ticks');
    expect(deliveries.every((d) => d.signed)).toBe(true);
    const ticks = deliveries.map((d) => d.body.tickAt as string);
    expect(new Set(ticks).size).toBe(ticks.length);
    const succeeded = settled.filter((r) => r.status === 'succeeded');
    expect(succeeded.length).toBe(deliveries.length);
    expect(new Set(deliveries.map((d) => d.body.deliveryId))).toEqual(new Set(succeeded.map((r) => r.id)));
    for (const d of deliveries) {
      expect(d.headers['idempotency-key']).toBe(d.body.deliveryId);
      expect(d.body).toMatchObject({ type: 'report', format: 'csv', rowCount: 1, trigger: 'schedule' });
      expect(d.body.content).toMatch(/^"?Events/);
      expect(String(d.body.content).trim().split('\r\n')[1]).toBe('3');
    }
    // Each tick is a whole second, two seconds apart.
    for (const tick of ticks) expect(new Date(tick).getUTCSeconds() % 2).toBe(0);
  });

  it('retries a failing webhook and records each attempt; gives up after the last', async () => {
    const flaky = await createReport('/flaky', NEVER_SOON, 'chart');
    sink.fail('/flaky', 2);
    expect((await call('owner', 'POST', `/v1/metrics/reports/${flaky.id}/send`)).statusCode).toBe(202);
    const [run] = await waitFor(
      () => runsOf(flaky.id),
      (list) => list[0]?.status === 'succeeded',
      'the flaky run to succeed',
    );
    expect(run).toMatchObject({ trigger: 'manual', attempts: 3, rowCount: 1, error: null });
    expect(run!.delivery.webhook).toMatchObject({ ok: true, status: 200, attempts: 3 });
    const tries = sink.all('/flaky');
    expect(tries.map((t) => t.status)).toEqual([500, 500, 200]);
    expect(new Set(tries.map((t) => t.headers['idempotency-key'])).size).toBe(1);
    const png = Buffer.from(String(tries[2]!.body.chartPng), 'base64');
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(String(tries[2]!.body.content)).toContain('<table>');

    const down = await createReport('/down', NEVER_SOON);
    sink.fail('/down', Number.POSITIVE_INFINITY);
    await call('owner', 'POST', `/v1/metrics/reports/${down.id}/send`);
    const [failed] = await waitFor(
      () => runsOf(down.id),
      (list) => list[0]?.status === 'failed' && list[0].attempts === 3,
      'the run to fail three times',
    );
    expect(failed!.error).toContain('500');
    expect(failed!.delivery.webhook).toMatchObject({ ok: false, status: 500, attempts: 3 });
    await new Promise((resolve) => setTimeout(resolve, 4000));
    expect(sink.all('/down')).toHaveLength(3);
  });
});

describe('schedules', { timeout: 180_000 }, () => {
  it('a report whose exploration is deleted goes, and so does its schedule', async () => {
    const schemas = await call('owner', 'GET', `/v1/metrics/dataschemas?teamId=${teamId}`);
    const other = await call('owner', 'POST', '/v1/metrics/explorations', {
      dataschemaId: schemas.json().items[0].id,
      name: 'Soon gone',
      query: { measures: ['events.count'], dimensions: [] },
    });
    const res = await call('owner', 'POST', '/v1/metrics/reports', {
      explorationId: other.json().id,
      name: 'Orphan',
      schedule: EVERY_TWO_SECONDS,
      format: 'json',
      delivery: { webhookUrl: sink.url('/orphan') },
    });
    const report = res.json();
    sink.expect('/orphan', report.webhookSecret);
    secrets.push(report.webhookSecret);
    const schedulers = async () => (await h.deps.jobs.queue.getJobSchedulers()).map((s) => s.key);
    expect(await schedulers()).toContain(`report:${report.id}`);
    expect((await call('owner', 'DELETE', `/v1/metrics/explorations/${other.json().id}`)).statusCode).toBe(
      204,
    );
    expect((await call('owner', 'GET', `/v1/metrics/reports/${report.id}`)).statusCode).toBe(404);
    await waitFor(schedulers, (keys) => !keys.includes(`report:${report.id}`), 'the schedule to go');
  });
});

describe('mail and workflow deliveries', { timeout: 180_000 }, () => {
  it('asks the email service and workflows through the outbox, once per run, published on the bus', async () => {
    const mailbox = h.teams.emailOf(people.member.userId);
    const mailed = (emailTo: string[]) =>
      call('owner', 'POST', '/v1/metrics/reports', {
        explorationId,
        name: 'Mailed <events>',
        schedule: NEVER_SOON,
        format: 'chart',
        delivery: { emailTo, workflow: true },
      });
    // Mail goes to the team's members only: any other address is refused by name.
    const outsider = await mailed([mailbox, 'ops@example.org']);
    expect(outsider.statusCode, outsider.body).toBe(422);
    expect(outsider.json().detail).toContain('ops@example.org');
    const res = await mailed([mailbox.toUpperCase()]);
    expect(res.statusCode, res.body).toBe(201);
    const report = res.json();
    expect(report.webhookSecret).toBeUndefined();
    expect(report.delivery).toEqual({ webhookUrl: null, emailTo: [mailbox.toUpperCase()], workflow: true });
    const changed = await call('admin', 'PATCH', `/v1/metrics/reports/${report.id}`, {
      delivery: { emailTo: [mailbox.toUpperCase(), 'ops@example.org'] },
    });
    expect(changed.statusCode).toBe(422);
    expect(changed.json().detail).toContain('ops@example.org');
    // Someone who has left the team since gets no more mail of it.
    const leaver = await h.tokens.mint({ orgId, teams: { [teamId]: 'viewer' } });
    const withLeaver = await call('owner', 'PATCH', `/v1/metrics/reports/${report.id}`, {
      delivery: { emailTo: [mailbox.toUpperCase(), h.teams.emailOf(leaver.userId)], workflow: true },
    });
    expect(withLeaver.statusCode, withLeaver.body).toBe(200);
    h.teams.setRole(teamId, leaver.userId, null);
    await call('owner', 'POST', `/v1/metrics/reports/${report.id}/send`);
    const [run] = await waitFor(
      () => runsOf(report.id),
      (list) => list[0]?.status === 'succeeded',
      'the mailed run',
    );
    expect(run!.delivery).toMatchObject({
      email: { ok: true, attempts: 1 },
      workflow: { ok: true, attempts: 1 },
    });
    const events = await waitFor(
      () =>
        h.admin<{ subject: string; payload: { data: Record<string, unknown> }; published_at: Date | null }[]>`
          select subject, payload, published_at from analytics.outbox
          where payload->'data'->>'deliveryId' = ${run!.id} order by subject`,
      (rows) => rows.length === 2 && rows.every((r) => r.published_at !== null),
      'both events published',
    );
    expect(events.map((e) => e.subject)).toEqual([
      'analytics.metrics.delivered',
      'analytics.metrics.mail_requested',
    ]);
    expect(events[1]!.payload.data).toMatchObject({
      kind: 'report',
      sourceId: report.id,
      teamId,
      userId: people.owner.userId,
      to: [mailbox.toUpperCase()],
      subject: 'Report: Mailed <events>',
    });
    expect(String(events[1]!.payload.data.html)).toContain('<caption>Mailed &lt;events&gt;</caption>');
    const [chart] = events[1]!.payload.data.attachments as { filename: string; contentBase64: string }[];
    expect(chart!.filename).toBe('chart.png');
    expect(Buffer.from(chart!.contentBase64, 'base64').subarray(1, 4).toString()).toBe('PNG');
    expect(events[0]!.payload.data).toMatchObject({
      notice: null,
      rowCount: 1,
      rows: [{ 'events.count': 3 }],
    });
  });
});

describe('alerts', { timeout: 180_000 }, () => {
  it('fires once while out of bounds for five ticks, then resolves once', async () => {
    const res = await call('owner', 'POST', '/v1/metrics/alerts', {
      explorationId,
      name: 'Too many events',
      schedule: EVERY_TWO_SECONDS,
      conditions: [{ column: 'events.count', upper: 2 }],
      delivery: { webhookUrl: sink.url('/alert') },
    });
    expect(res.statusCode, res.body).toBe(201);
    const alert = res.json();
    sink.expect('/alert', alert.webhookSecret);
    secrets.push(alert.webhookSecret);
    await waitFor(
      () => evaluationsOf(alert.id),
      (list) => list.filter((e) => e.outcome === 'firing' && e.status === 'succeeded').length >= 5,
      'five evaluations out of bounds',
    );
    const fired = sink.taken('/alert');
    expect(fired).toHaveLength(1);
    expect(fired[0]!.body).toMatchObject({ type: 'alert', event: 'fired', state: 'firing' });
    expect(fired[0]!.body.breaches).toEqual([
      { column: 'events.count', value: 3, upper: 2, reason: 'above' },
    ]);
    expect(Buffer.from(String(fired[0]!.body.chartPng), 'base64').subarray(1, 4).toString()).toBe('PNG');
    expect((await call('member', 'GET', `/v1/metrics/alerts/${alert.id}`)).json().state).toBe('firing');

    // Back in bounds: two of the three events go.
    await h.admin`delete from analytics.user_analytics where id in (
      select id from analytics.user_analytics where team_id = ${teamId} order by id limit 2)`;
    const back = await waitFor(
      () => evaluationsOf(alert.id),
      (list) => list.filter((e) => e.outcome === 'ok' && e.status === 'succeeded').length >= 3,
      'three evaluations back in bounds',
    );
    const deliveries = sink.taken('/alert');
    expect(deliveries.map((d) => d.body.event)).toEqual(['fired', 'resolved']);
    expect(deliveries.every((d) => d.signed)).toBe(true);
    expect(back.filter((e) => e.notified === 'fired')).toHaveLength(1);
    expect(back.filter((e) => e.notified === 'resolved')).toHaveLength(1);
    expect((await call('member', 'GET', `/v1/metrics/alerts/${alert.id}`)).json().state).toBe('ok');

    // "Test" delivers a sample and leaves the state alone.
    await call('admin', 'PATCH', `/v1/metrics/alerts/${alert.id}`, { enabled: false });
    expect((await call('admin', 'POST', `/v1/metrics/alerts/${alert.id}/test`)).statusCode).toBe(202);
    await waitFor(
      async () => sink.taken('/alert').length,
      (n) => n === 3,
      'the test delivery',
    );
    expect(sink.taken('/alert')[2]!.body).toMatchObject({ event: 'test', state: 'ok' });
    expect((await call('member', 'GET', `/v1/metrics/alerts/${alert.id}`)).json().state).toBe('ok');
  });
});

describe('large results', { timeout: 180_000 }, () => {
  it('mails at most 200 rows of a large result with how many more, keeping each event well under 1 MB', async () => {
    const sources = await call('owner', 'GET', `/v1/metrics/datasources?teamId=${teamId}`);
    // 3,000 rows of about 2 KB each: 6 MB of table if it were all mailed.
    const cubes = {
      cubes: [
        {
          name: 'wide',
          sql: "select n, repeat('x', 2000) as filler from generate_series(1, 3000) as n",
          measures: { count: { type: 'count' } },
          dimensions: {
            n: { type: 'number', sql: '{CUBE}.n' },
            filler: { type: 'string', sql: '{CUBE}.filler' },
          },
        },
      ],
    };
    const schema = await call('owner', 'POST', '/v1/metrics/dataschemas', {
      datasourceId: sources.json().items[0].id,
      name: 'Wide rows',
      format: 'json',
      code: JSON.stringify(cubes),
    });
    expect(schema.statusCode, schema.body).toBe(201);
    const exploration = await call('owner', 'POST', '/v1/metrics/explorations', {
      dataschemaId: schema.json().id,
      name: 'Every wide row',
      query: {
        measures: ['wide.count'],
        dimensions: ['wide.n', 'wide.filler'],
        order: [{ member: 'wide.n' }],
        limit: 3000,
      },
    });
    expect(exploration.statusCode, exploration.body).toBe(201);
    const created = await call('owner', 'POST', '/v1/metrics/reports', {
      explorationId: exploration.json().id,
      name: 'Wide',
      schedule: NEVER_SOON,
      format: 'csv',
      delivery: { emailTo: [h.teams.emailOf(people.member.userId)], workflow: true },
    });
    expect(created.statusCode, created.body).toBe(201);
    const report = created.json();
    await call('owner', 'POST', `/v1/metrics/reports/${report.id}/send`);
    const [run] = await waitFor(
      () => runsOf(report.id),
      (list) => list[0]?.status === 'succeeded' || list[0]?.status === 'failed',
      'the wide run',
    );
    expect(run, JSON.stringify(run)).toMatchObject({ status: 'succeeded', rowCount: 3000 });
    const events = await waitFor(
      () =>
        h.admin<{ subject: string; payload: { data: Record<string, unknown> }; published_at: Date | null }[]>`
          select subject, payload, published_at from analytics.outbox
          where payload->'data'->>'deliveryId' = ${run!.id} order by subject`,
      (rows) => rows.length === 2 && rows.every((r) => r.published_at !== null),
      'both events published on the bus',
    );
    for (const event of events)
      expect(Buffer.byteLength(JSON.stringify(event.payload))).toBeLessThan(900_000);
    const mail = events[1]!.payload.data as { html: string; text: string };
    const htmlRows = mail.html.split('<tr>').length - 2; // less the header row
    expect(htmlRows).toBeGreaterThan(0);
    expect(htmlRows).toBeLessThanOrEqual(200);
    expect(mail.html).toContain(`Truncated: ${3000 - htmlRows} more rows not shown (3000 in all).`);
    const textRows = mail.text.trim().split('\r\n').length - 3; // header, blank line, note
    expect(textRows).toBeLessThanOrEqual(200);
    expect(mail.text).toContain(`Truncated: ${3000 - textRows} more rows not shown (3000 in all).`);
    const delivered = events[0]!.payload.data as { rows: unknown[]; rowCount: number };
    expect(delivered.rowCount).toBe(3000);
    expect(delivered.rows.length).toBeLessThanOrEqual(200);
  });
});

describe('work of a creator who no longer manages the team', { timeout: 180_000 }, () => {
  it('skips and pauses a report whose creator is now a member, delivering nothing, until a manager resumes it', async () => {
    const created = await call('admin', 'POST', '/v1/metrics/reports', {
      explorationId,
      name: 'Set up by an admin',
      schedule: NEVER_SOON,
      format: 'csv',
      delivery: { webhookUrl: sink.url('/demoted') },
    });
    expect(created.statusCode, created.body).toBe(201);
    const report = created.json();
    sink.expect('/demoted', report.webhookSecret);
    secrets.push(report.webhookSecret);
    // Identity says so now; the admin's token (and the report) still say admin.
    h.teams.setRole(teamId, people.admin.userId, 'member');
    try {
      expect((await call('owner', 'POST', `/v1/metrics/reports/${report.id}/send`)).statusCode).toBe(202);
      const [run] = await waitFor(
        () => runsOf(report.id),
        (list) => list[0]?.status === 'skipped',
        'the skipped run',
      );
      expect(run).toMatchObject({ rowCount: null, delivery: {} });
      expect(run!.error).toBe('Paused: its creator is no longer an owner or admin of the team (now member).');
      const paused = (await call('member', 'GET', `/v1/metrics/reports/${report.id}`)).json();
      expect(paused).toMatchObject({
        enabled: false,
        pausedReason: run!.error,
        createdBy: people.admin.userId,
      });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(sink.all('/demoted')).toHaveLength(0);

      // A manager resumes it: it is theirs from then on, and runs again.
      const resumed = await call('owner', 'PATCH', `/v1/metrics/reports/${report.id}`, { enabled: true });
      expect(resumed.json()).toMatchObject({
        enabled: true,
        pausedReason: null,
        createdBy: people.owner.userId,
      });
      await call('owner', 'POST', `/v1/metrics/reports/${report.id}/send`);
      await waitFor(
        () => runsOf(report.id),
        (list) => list.some((r) => r.status === 'succeeded'),
        'the resumed run',
      );
      expect(sink.all('/demoted')).toHaveLength(1);
    } finally {
      h.teams.setRole(teamId, people.admin.userId, 'admin');
    }
  });

  it('skips and pauses an alert whose creator left the team, delivering nothing', async () => {
    const created = await call('admin', 'POST', '/v1/metrics/alerts', {
      explorationId,
      name: 'Set up by an admin who left',
      schedule: NEVER_SOON,
      conditions: [{ column: 'events.count', lower: 100 }],
      delivery: { webhookUrl: sink.url('/left') },
    });
    expect(created.statusCode, created.body).toBe(201);
    const alert = created.json();
    sink.expect('/left', alert.webhookSecret);
    secrets.push(alert.webhookSecret);
    h.teams.setRole(teamId, people.admin.userId, null);
    try {
      expect((await call('owner', 'POST', `/v1/metrics/alerts/${alert.id}/test`)).statusCode).toBe(202);
      const [evaluation] = await waitFor(
        () => evaluationsOf(alert.id),
        (list) => list[0]?.status === 'skipped',
        'the skipped evaluation',
      );
      expect(evaluation).toMatchObject({
        outcome: null,
        notified: null,
        error: 'Paused: its creator is no longer in the team.',
      });
      expect((await call('member', 'GET', `/v1/metrics/alerts/${alert.id}`)).json()).toMatchObject({
        enabled: false,
        state: 'ok',
        pausedReason: 'Paused: its creator is no longer in the team.',
      });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(sink.all('/left')).toHaveLength(0);
    } finally {
      h.teams.setRole(teamId, people.admin.userId, 'admin');
    }
  });
});

describe('access and secrets', { timeout: 180_000 }, () => {
  it('lets owners and admins manage, members read, and hides everything from strangers and anonymous callers', async () => {
    const report = await createReport('/matrix', NEVER_SOON);
    const alert = (
      await call('admin', 'POST', '/v1/metrics/alerts', {
        explorationId,
        name: 'Matrix',
        schedule: NEVER_SOON,
        conditions: [{ column: 'events.count', lower: 1 }],
        delivery: { webhookUrl: sink.url('/matrix-alert') },
      })
    ).json();
    secrets.push(alert.webhookSecret);
    for (const [kind, id] of [
      ['reports', report.id],
      ['alerts', alert.id],
    ] as const) {
      const action = kind === 'reports' ? 'send' : 'test';
      const reads = [`/v1/metrics/${kind}/${id}`, `/v1/metrics/${kind}?teamId=${teamId}`];
      for (const url of reads) {
        expect((await call('member', 'GET', url)).statusCode).toBe(200);
        expect((await call('stranger', 'GET', url)).statusCode).toBe(404);
        expect((await call(null, 'GET', url)).statusCode).toBe(401);
      }
      expect((await call('member', 'PATCH', `/v1/metrics/${kind}/${id}`, { name: 'x' })).statusCode).toBe(
        403,
      );
      expect((await call('member', 'POST', `/v1/metrics/${kind}/${id}/${action}`)).statusCode).toBe(403);
      expect((await call('member', 'DELETE', `/v1/metrics/${kind}/${id}`)).statusCode).toBe(403);
      expect((await call('stranger', 'PATCH', `/v1/metrics/${kind}/${id}`, { name: 'x' })).statusCode).toBe(
        404,
      );
      expect((await call('stranger', 'DELETE', `/v1/metrics/${kind}/${id}`)).statusCode).toBe(404);
      expect((await call('owner', 'DELETE', `/v1/metrics/${kind}/${randomUUID()}`)).statusCode).toBe(404);
      expect(
        (await call('admin', 'PATCH', `/v1/metrics/${kind}/${id}`, { name: 'Renamed' })).statusCode,
      ).toBe(200);
      expect((await call('owner', 'DELETE', `/v1/metrics/${kind}/${id}`)).statusCode).toBe(204);
      expect((await call('owner', 'GET', `/v1/metrics/${kind}/${id}`)).statusCode).toBe(404);
    }
    const asMember = await call('member', 'POST', '/v1/metrics/reports', {
      explorationId,
      name: 'Mine',
      schedule: NEVER_SOON,
      format: 'json',
      delivery: { webhookUrl: sink.url('/x') },
    });
    expect(asMember.statusCode).toBe(403);
    const asStranger = await call('stranger', 'POST', '/v1/metrics/alerts', {
      explorationId,
      name: 'Theirs',
      schedule: NEVER_SOON,
      conditions: [{ column: 'events.count', lower: 1 }],
      delivery: { webhookUrl: sink.url('/x') },
    });
    expect(asStranger.statusCode).toBe(404);
  });

  it('refuses a private webhook host, a bad cron and a bad time zone with 422', async () => {
    const base = { explorationId, name: 'Bad', format: 'json', timeZone: 'UTC', schedule: NEVER_SOON };
    for (const body of [
      { ...base, delivery: { webhookUrl: 'http://169.254.169.254/latest' } },
      { ...base, delivery: { webhookUrl: 'http://10.0.0.1/x' } },
      { ...base, schedule: '61 * * * *', delivery: { webhookUrl: sink.url('/x') } },
      // Every second: closer than the shortest gap allowed (two seconds here).
      { ...base, schedule: '* * * * * *', delivery: { webhookUrl: sink.url('/x') } },
      { ...base, timeZone: 'Mars/Olympus', delivery: { webhookUrl: sink.url('/x') } },
    ]) {
      const res = await call('owner', 'POST', '/v1/metrics/reports', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(422);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('keeps webhook secrets out of answers, jobs, events and the database in the clear', async () => {
    expect(secrets.length).toBeGreaterThan(0);
    const lists = [
      await call('owner', 'GET', `/v1/metrics/reports?teamId=${teamId}&limit=100`),
      await call('owner', 'GET', `/v1/metrics/alerts?teamId=${teamId}&limit=100`),
    ];
    const redis = new Redis(localServices.redisUrl);
    try {
      const keys = await redis.keys(`${h.env.REDIS_KEY_PREFIX}*`);
      const values: string[] = [];
      for (const key of keys) {
        const type = await redis.type(key);
        if (type === 'hash') values.push(JSON.stringify(await redis.hgetall(key)));
        if (type === 'string') values.push((await redis.get(key)) ?? '');
        if (type === 'list') values.push(JSON.stringify(await redis.lrange(key, 0, -1)));
      }
      expect(keys.length).toBeGreaterThan(0);
      const rows = await h.admin`
        select (select coalesce(string_agg(to_jsonb(r)::text, ''), '') from analytics.reports r) ||
               (select coalesce(string_agg(to_jsonb(a)::text, ''), '') from analytics.alerts a) ||
               (select coalesce(string_agg(to_jsonb(o)::text, ''), '') from analytics.outbox o) ||
               (select coalesce(string_agg(to_jsonb(r)::text, ''), '') from analytics.report_runs r) as everything`;
      for (const secret of secrets) {
        for (const list of lists) expect(list.body).not.toContain(secret);
        for (const value of values) expect(value).not.toContain(secret);
        expect(rows[0]!.everything).not.toContain(secret);
      }
    } finally {
      redis.disconnect();
    }
  });

  it('forces row-level security on its tables: the runtime role without an actor sees none of their rows', async () => {
    const tables = ['reports', 'report_runs', 'alerts', 'alert_evaluations', 'sql_credentials'];
    const flags = await h.admin`
      select relname, relrowsecurity, relforcerowsecurity from pg_class
      where relnamespace = 'analytics'::regnamespace and relname = any(${tables})`;
    expect(flags).toHaveLength(tables.length);
    for (const flag of flags) expect(flag).toMatchObject({ relrowsecurity: true, relforcerowsecurity: true });
    const [owned] = await h.admin`select count(*)::int as n from analytics.report_runs`;
    expect(owned!.n).toBeGreaterThan(0);
    const app = postgres(h.database.appUrl, { max: 1, onnotice: () => {} });
    try {
      for (const table of tables) {
        const [row] = await app.unsafe(`select count(*)::int as n from analytics.${table}`);
        expect(row!.n, table).toBe(0);
      }
    } finally {
      await app.end({ timeout: 5 });
    }
  });
});
