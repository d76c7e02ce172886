import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnalyticsHarness, bearer, startAnalyticsHarness } from '../fixtures/analytics-harness.js';

// An exploration drawn through its routes, as its saved chart kind: SVG holding the values, a PNG
// that is a PNG of the SVG's size; a team's viewers see it, others do not learn it exists.
let h: AnalyticsHarness;
const orgId = randomUUID();
const teamId = randomUUID();
type Who = 'owner' | 'viewer' | 'stranger';
const people = {} as Record<Who, { token: string; userId: string }>;
let explorationId: string;

const get = (who: Who | null, url: string) =>
  h.app.inject({ method: 'GET', url, headers: who ? bearer(people[who].token) : {} });

beforeAll(async () => {
  h = await startAnalyticsHarness({ worker: false });
  const claims: Record<Who, Parameters<typeof h.tokens.mint>[0]> = {
    owner: { orgId, teams: { [teamId]: 'owner' } },
    viewer: { orgId, teams: { [teamId]: 'viewer' } },
    stranger: { orgId: randomUUID(), teams: { [randomUUID()]: 'owner' } },
  };
  for (const [who, claim] of Object.entries(claims)) people[who as Who] = await h.tokens.mint(claim);
  const at = new Date().toISOString();
  const events = [
    ...Array.from({ length: 7 }, (_, i) => ({
      idempotencyKey: `c${i}`,
      type: 'click',
      occurredAt: at,
      teamId,
    })),
    ...Array.from({ length: 4 }, (_, i) => ({
      idempotencyKey: `p${i}`,
      type: 'page_view',
      occurredAt: at,
      teamId,
    })),
  ];
  const recorded = await h.app.inject({
    method: 'POST',
    url: '/v1/analytics/events',
    headers: bearer(people.owner.token),
    payload: { events },
  });
  expect(recorded.json().recorded).toBe(11);
  const schemas = await get('owner', `/v1/metrics/dataschemas?teamId=${teamId}`);
  const exploration = await h.app.inject({
    method: 'POST',
    url: '/v1/metrics/explorations',
    headers: bearer(people.owner.token),
    payload: {
      dataschemaId: schemas.json().items[0].id,
      name: 'Events by type',
      query: {
        measures: ['events.count'],
        dimensions: ['events.type'],
        order: [{ member: 'events.type', direction: 'asc' }],
      },
    },
  });
  expect(exploration.statusCode, exploration.body).toBe(201);
  explorationId = exploration.json().id;
}, 60_000);

afterAll(async () => {
  await h?.close();
});

const ihdr = (png: Buffer) => ({ width: png.readUInt32BE(16), height: png.readUInt32BE(20) });

describe('exploration charts', () => {
  it('draws the saved kind (line unless chosen) as SVG with the values, and as PNG of the same size', async () => {
    // A viewer may draw it (the built-in source shows a viewer only their own events: none here).
    expect((await get('viewer', `/v1/metrics/explorations/${explorationId}/chart.svg`)).statusCode).toBe(200);
    const svg = await get('owner', `/v1/metrics/explorations/${explorationId}/chart.svg`);
    expect(svg.statusCode, svg.body).toBe(200);
    expect(svg.headers['content-type']).toContain('image/svg+xml');
    expect(svg.body).toContain('aria-roledescription="line mark"');
    expect(svg.body).toContain('Events Type: client.click; Events Count: 7');
    expect(svg.body).toContain('Events Type: client.page_view; Events Count: 4');
    const width = Number(/width="(\d+)"/.exec(svg.body)?.[1]);
    const height = Number(/height="(\d+)"/.exec(svg.body)?.[1]);
    const png = await get('owner', `/v1/metrics/explorations/${explorationId}/chart.png`);
    expect(png.statusCode).toBe(200);
    expect(png.headers['content-type']).toBe('image/png');
    expect(png.rawPayload.subarray(1, 4).toString()).toBe('PNG');
    expect(ihdr(png.rawPayload)).toEqual({ width, height });
  });

  it('keeps the kind chosen for the exploration, and takes one for a single drawing', async () => {
    const byViewer = await h.app.inject({
      method: 'PUT',
      url: `/v1/metrics/explorations/${explorationId}/chart`,
      headers: bearer(people.viewer.token),
      payload: { kind: 'bar' },
    });
    expect(byViewer.statusCode).toBe(403);
    const chosen = await h.app.inject({
      method: 'PUT',
      url: `/v1/metrics/explorations/${explorationId}/chart`,
      headers: bearer(people.owner.token),
      payload: { kind: 'bar' },
    });
    expect(chosen.statusCode).toBe(200);
    const bar = await get('owner', `/v1/metrics/explorations/${explorationId}/chart.svg`);
    expect(bar.body).toContain('aria-roledescription="bar"');
    const table = await get('owner', `/v1/metrics/explorations/${explorationId}/chart.svg?kind=table`);
    expect(table.body).toContain('text: client.click');
    expect(table.body).toContain('text: client.page_view');
    const sized = await get(
      'owner',
      `/v1/metrics/explorations/${explorationId}/chart.png?kind=area&width=300&height=150`,
    );
    expect(ihdr(sized.rawPayload).width).toBeGreaterThan(300);
    expect(ihdr(sized.rawPayload).width).toBeLessThan(600);
  });

  it('answers 404 to a stranger as for an unknown id, 401 without a token, 400 for a bad kind', async () => {
    for (const format of ['svg', 'png']) {
      const stranger = await get('stranger', `/v1/metrics/explorations/${explorationId}/chart.${format}`);
      const unknown = await get('owner', `/v1/metrics/explorations/${randomUUID()}/chart.${format}`);
      expect(stranger.statusCode).toBe(404);
      expect(unknown.statusCode).toBe(404);
      expect(stranger.json().title).toBe(unknown.json().title);
      expect((await get(null, `/v1/metrics/explorations/${explorationId}/chart.${format}`)).statusCode).toBe(
        401,
      );
      const bad = await get('owner', `/v1/metrics/explorations/${explorationId}/chart.${format}?kind=pie`);
      expect(bad.statusCode).toBe(400);
      expect(bad.headers['content-type']).toContain('application/problem+json');
    }
    const stranger = await h.app.inject({
      method: 'PUT',
      url: `/v1/metrics/explorations/${explorationId}/chart`,
      headers: bearer(people.stranger.token),
      payload: { kind: 'area' },
    });
    expect(stranger.statusCode).toBe(404);
  });
});
