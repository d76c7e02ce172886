import { randomUUID } from 'node:crypto';
import { countRows, injectSender, probeUnstorableInput } from '@conduit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEMA } from '../../src/service.js';
import {
  bearer,
  chain,
  createWorkflow,
  startWorkflowHarness,
  type WorkflowHarness,
} from '../fixtures/workflow-harness.js';

let h: WorkflowHarness;
let owner: { token: string; userId: string };

beforeAll(async () => {
  h = await startWorkflowHarness({ worker: false });
  owner = await h.tokens.mint();
}, 60_000);
afterAll(async () => {
  await h?.close();
}, 30_000);

const send = (method: string, url: string, payload: string | object, contentType = 'application/json') =>
  h.app.inject({
    method: method as 'POST',
    url,
    headers: { ...bearer(owner.token), 'content-type': contentType },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });

describe('bad input', () => {
  it('refuses text and JSON Postgres cannot store in every field of every route, storing nothing', async () => {
    const before = await countRows(h.admin, [SCHEMA]);
    // A platform admin, so that the admin routes (403 to anyone else, before their input is read)
    // are probed too.
    const admin = await h.tokens.mint({ platformAdmin: true });
    const report = await probeUnstorableInput({
      document: h.app.swagger(),
      send: injectSender(h.app),
      headers: bearer(admin.token),
    });
    expect(report.failures).toEqual([]);
    expect(report.probes).toBeGreaterThan(100);
    expect(await countRows(h.admin, [SCHEMA])).toEqual(before);
  }, 120_000);

  it('answers malformed JSON, wrong types, oversized and 10,000-node graphs and deep expressions with a 4xx, saving nothing', async () => {
    const workflow = await createWorkflow(h, owner.token, chain('kept', []));
    const before = await countRows(h.admin, [SCHEMA]);
    const manyNodes = (count: number) => ({
      name: 'huge',
      nodes: Array.from({ length: count }, (_, i) =>
        i === 0 ? { name: 'Start', type: 'manual' } : { name: `n${i}`, type: 'no-op' },
      ),
      connections: Array.from({ length: count - 1 }, (_, i) => ({
        source: i ? `n${i}` : 'Start',
        target: `n${i + 1}`,
      })),
    });
    const deepExpression = `{{ ${'('.repeat(3000)}1${')'.repeat(3000)} }}`;
    const deepNesting = `{{ ${'['.repeat(500)}1${']'.repeat(500)} }}`;
    const cases: [string, string, string, string | object][] = [
      ['malformed JSON', 'POST', '/v1/workflows', '{"name": "x", "nodes": ['],
      ['wrong types', 'POST', '/v1/workflows', { name: 42, nodes: 'many' }],
      ['unknown fields', 'POST', '/v1/workflows', { ...chain('x', []), extra: true }],
      ['10,000 nodes', 'POST', '/v1/workflows', manyNodes(10_000)],
      ['501 nodes', 'PUT', `/v1/workflows/${workflow.id}`, manyNodes(501)],
      [
        '3 MiB of config',
        'POST',
        '/v1/workflows',
        chain('big', [
          {
            name: 'Big',
            type: 'set',
            config: { fields: [{ name: 'x', value: 'x'.repeat(3 * 1024 * 1024) }] },
          },
        ]),
      ],
      [
        'a deep expression',
        'POST',
        '/v1/workflows',
        chain('deep', [
          { name: 'Deep', type: 'set', config: { fields: [{ name: 'x', value: deepExpression }] } },
        ]),
      ],
      [
        'a deeply nested expression',
        'PUT',
        `/v1/workflows/${workflow.id}`,
        chain('nested', [
          { name: 'Deep', type: 'set', config: { fields: [{ name: 'x', value: deepNesting }] } },
        ]),
      ],
      [
        'a cycle',
        'PUT',
        `/v1/workflows/${workflow.id}`,
        {
          ...chain('loop', [
            { name: 'A', type: 'no-op' },
            { name: 'B', type: 'no-op' },
          ]),
          connections: [
            { source: 'Start', target: 'A' },
            { source: 'A', target: 'B' },
            { source: 'B', target: 'A' },
          ],
        },
      ],
      ['a bad share', 'POST', `/v1/workflows/${workflow.id}/shares`, { userId: 'me', permission: 'all' }],
      ['a bad run input', 'POST', `/v1/workflows/${workflow.id}/run`, { input: 'x' }],
      ['a bad retry mode', 'POST', `/v1/executions/${randomUUID()}/retry`, { mode: 'sideways' }],
      [
        'a bad template',
        'POST',
        '/v1/workflows/templates',
        { name: 'x', category: 'Not A Slug', document: {} },
      ],
      [
        'a bad credential',
        'POST',
        '/v1/workflows/credentials',
        { name: 'x', secret: { kind: 'password', value: 1 } },
      ],
      ['text as JSON', 'POST', '/v1/workflows', 'not json at all'],
    ];
    for (const [label, method, url, payload] of cases) {
      const res = await send(method, url, payload);
      expect(res.statusCode, `${label}: ${res.body.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, label).toBeLessThan(500);
      expect(res.headers['content-type'], label).toContain('application/problem+json');
    }
    expect(await countRows(h.admin, [SCHEMA])).toEqual(before);
    const kept = await h.app.inject({
      method: 'GET',
      url: `/v1/workflows/${workflow.id}`,
      headers: bearer(owner.token),
    });
    expect(kept.json()).toMatchObject({ name: 'kept', version: 1 });
  }, 60_000);
});
