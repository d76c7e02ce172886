import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

const put = (id: string, token: string, payload: unknown) =>
  h.app.inject({
    method: 'PUT',
    url: `/v1/workflows/${id}`,
    headers: bearer(token),
    payload: payload as object,
  });

describe('workflows as whole documents', () => {
  it('creates, reads, replaces (as a new version) and deletes a workflow', async () => {
    const created = await createWorkflow(
      h,
      owner.token,
      chain('greeter', [
        { name: 'Greet', type: 'set', config: { fields: [{ name: 'hello', value: '{{ name }}' }] } },
      ]),
    );
    expect(created).toMatchObject({
      name: 'greeter',
      status: 'draft',
      version: 1,
      ownerUserId: owner.userId,
    });
    expect(created.nodes.map((n) => n.name)).toEqual(['Start', 'Greet']);
    const greetId = created.nodes[1]!.id;

    const read = await h.app.inject({
      method: 'GET',
      url: `/v1/workflows/${created.id}`,
      headers: bearer(owner.token),
    });
    expect(read.statusCode).toBe(200);
    expect(read.json().connections).toEqual([
      { source: 'Start', type: 'main', target: 'Greet', targetInput: 0, conditionConfig: null },
    ]);

    const changed = await put(created.id, owner.token, {
      ...chain('greeter 2', [
        { name: 'Greet', type: 'set', config: { fields: [{ name: 'hello', value: 'world' }] } },
        { name: 'Done', type: 'no-op' },
      ]),
      description: 'says hello',
    });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ name: 'greeter 2', version: 2, description: 'says hello' });
    // A node keeps its id across saves (matched by name).
    expect(changed.json().nodes.find((n: { name: string }) => n.name === 'Greet').id).toBe(greetId);

    const versions = await h.app.inject({
      method: 'GET',
      url: `/v1/workflows/${created.id}/versions?limit=1`,
      headers: bearer(owner.token),
    });
    expect(versions.statusCode).toBe(200);
    expect(versions.json().items.map((v: { version: number }) => v.version)).toEqual([2]);
    const older = await h.app.inject({
      method: 'GET',
      url: `/v1/workflows/${created.id}/versions?limit=5&cursor=${versions.json().nextCursor}`,
      headers: bearer(owner.token),
    });
    expect(
      older
        .json()
        .items.map((v: { version: number; document: { name: string } }) => [v.version, v.document.name]),
    ).toEqual([[1, 'greeter']]);

    const [graph] = await h.admin`
      select (select count(*)::int from workflow.workflow_nodes where workflow_id = ${created.id}) as nodes,
             (select count(*)::int from workflow.workflow_connections where workflow_id = ${created.id}) as connections`;
    expect(graph).toEqual({ nodes: 3, connections: 2 });

    const deleted = await h.app.inject({
      method: 'DELETE',
      url: `/v1/workflows/${created.id}`,
      headers: bearer(owner.token),
    });
    expect(deleted.statusCode).toBe(204);
    const gone = await h.app.inject({
      method: 'GET',
      url: `/v1/workflows/${created.id}`,
      headers: bearer(owner.token),
    });
    expect(gone.statusCode).toBe(404);
  });

  it('exports a workflow and imports it again as a draft copy', async () => {
    const original = await createWorkflow(h, owner.token, {
      ...chain('exported', [{ name: 'Pass', type: 'no-op' }]),
      status: 'active',
    });
    const exported = await h.app.inject({
      method: 'GET',
      url: `/v1/workflows/${original.id}/export`,
      headers: bearer(owner.token),
    });
    expect(exported.statusCode).toBe(200);
    expect(exported.json()).toMatchObject({
      format: 'conduit.workflow',
      formatVersion: 1,
      workflow: { name: 'exported' },
    });
    const imported = await h.app.inject({
      method: 'POST',
      url: '/v1/workflows/import',
      headers: bearer(owner.token),
      payload: exported.json(),
    });
    expect(imported.statusCode).toBe(201);
    expect(imported.json()).toMatchObject({ name: 'exported', status: 'draft', version: 1 });
    expect(imported.json().id).not.toBe(original.id);
    expect(imported.json().nodes.map((n: { id: string }) => n.id)).toEqual(original.nodes.map((n) => n.id));
  });

  it('lists what the caller can read, newest first, by pages', async () => {
    const stranger = await h.tokens.mint();
    const a = await createWorkflow(h, stranger.token, chain('list a', []));
    const b = await createWorkflow(h, stranger.token, chain('list b', []));
    const first = await h.app.inject({
      method: 'GET',
      url: '/v1/workflows?limit=1',
      headers: bearer(stranger.token),
    });
    expect(first.json().items.map((w: { id: string }) => w.id)).toEqual([b.id]);
    const second = await h.app.inject({
      method: 'GET',
      url: `/v1/workflows?limit=5&cursor=${first.json().nextCursor}`,
      headers: bearer(stranger.token),
    });
    expect(second.json()).toEqual({ items: [expect.objectContaining({ id: a.id })], nextCursor: null });
  });

  it('lists the node catalog with each configuration as JSON Schema', async () => {
    const res = await h.app.inject({
      method: 'GET',
      url: '/v1/workflows/node-types',
      headers: bearer(owner.token),
    });
    expect(res.statusCode).toBe(200);
    const types = res.json().items as {
      type: string;
      trigger: boolean;
      configSchema: { properties?: object };
    }[];
    expect(types.map((t) => t.type).sort()).toEqual(
      [
        'code',
        'event',
        'execute-workflow',
        'http-request',
        'if',
        'kb-search',
        'llm',
        'loop',
        'manual',
        'merge',
        'no-op',
        'respond-to-webhook',
        'schedule',
        'set',
        'stop-and-error',
        'switch',
        'wait',
        'webhook',
      ].sort(),
    );
    expect(types.find((t) => t.type === 'webhook')).toMatchObject({
      trigger: true,
      configSchema: { type: 'object' },
    });
    expect(Object.keys(types.find((t) => t.type === 'http-request')!.configSchema.properties!)).toContain(
      'url',
    );
  });
});

describe('graph validation', () => {
  const invalid = async (document: Record<string, unknown>) => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/workflows',
      headers: bearer(owner.token),
      payload: document,
    });
    expect(res.statusCode, res.body).toBe(422);
    expect(res.headers['content-type']).toContain('application/problem+json');
    return res.json() as { detail: string; errors: { path: string; node?: string; message: string }[] };
  };

  it('names the node and field of an unknown type and of bad config', async () => {
    const problem = await invalid(
      chain('bad', [
        { name: 'Mystery', type: 'teleport' },
        { name: 'Fetch', type: 'http-request', config: { url: 42 } },
      ]),
    );
    expect(problem.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ message: expect.stringContaining('node "Mystery"'), path: 'nodes.1.type' }),
        expect.objectContaining({
          message: expect.stringContaining('node "Fetch"'),
          path: 'nodes.2.config.url',
        }),
      ]),
    );
    expect(problem.detail).toContain('Mystery');
  });

  it('refuses dangling and duplicate connections, unknown ports, and inputs into triggers', async () => {
    const problem = await invalid({
      name: 'wires',
      nodes: [
        { name: 'Start', type: 'manual' },
        { name: 'Check', type: 'if', config: { condition: '{{ true }}' } },
        { name: 'End', type: 'no-op' },
      ],
      connections: [
        { source: 'Start', target: 'Check' },
        { source: 'Start', target: 'Check' },
        { source: 'Check', type: 'maybe', target: 'End' },
        { source: 'Check', type: 'true', target: 'Nowhere' },
        { source: 'End', target: 'Start' },
      ],
    });
    expect(problem.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'connections.1', message: expect.stringContaining('same ports') }),
        expect.objectContaining({
          path: 'connections.2.type',
          message: expect.stringContaining('node "Check"'),
        }),
        expect.objectContaining({
          path: 'connections.3.target',
          message: expect.stringContaining('node "Nowhere"'),
        }),
        expect.objectContaining({
          path: 'connections.4.targetInput',
          message: expect.stringContaining('node "Start"'),
        }),
      ]),
    );
  });

  it('refuses cycles, a missing trigger, duplicate names, expressions that do not parse and scripts that do not compile', async () => {
    const cycle = await invalid({
      name: 'loop',
      nodes: [
        { name: 'Start', type: 'manual' },
        { name: 'A', type: 'no-op' },
        { name: 'B', type: 'no-op' },
      ],
      connections: [
        { source: 'Start', target: 'A' },
        { source: 'A', target: 'B' },
        { source: 'B', target: 'A' },
      ],
    });
    expect(cycle.errors).toEqual([
      expect.objectContaining({ path: 'connections', message: expect.stringMatching(/A -> B -> A/) }),
    ]);

    const noTrigger = await invalid({ name: 'headless', nodes: [{ name: 'A', type: 'no-op' }] });
    expect(noTrigger.errors[0]!.message).toContain('trigger');

    const names = await invalid(chain('twins', [{ name: 'Start', type: 'no-op' }]));
    expect(names.errors[0]).toMatchObject({
      path: 'nodes.1.name',
      message: expect.stringContaining('node "Start"'),
    });

    const expression = await invalid(
      chain('typo', [{ name: 'Calc', type: 'set', config: { fields: [{ name: 'x', value: '{{ 1 + }}' }] } }]),
    );
    expect(expression.errors[0]).toMatchObject({
      message: expect.stringContaining('node "Calc"'),
      path: 'nodes.1.config',
    });

    const script = await invalid(
      chain('basic', [{ name: 'Script', type: 'code', config: { script: 'IF THEN' } }]),
    );
    expect(script.errors[0]).toMatchObject({
      message: expect.stringContaining('node "Script"'),
      path: 'nodes.1.config.script',
    });

    const cron = await invalid({
      name: 'cron',
      nodes: [{ name: 'Tick', type: 'schedule', config: { cron: 'every day' } }],
    });
    expect(cron.errors[0]).toMatchObject({
      message: expect.stringContaining('node "Tick"'),
      path: 'nodes.0.config.cron',
    });
  });

  it('answers 400 for malformed bodies and oversized graphs, saving nothing', async () => {
    const malformed = await h.app.inject({
      method: 'POST',
      url: '/v1/workflows',
      headers: { ...bearer(owner.token), 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    expect(malformed.statusCode).toBe(400);
    const wrongTypes = await h.app.inject({
      method: 'POST',
      url: '/v1/workflows',
      headers: bearer(owner.token),
      payload: { name: 7, nodes: 'many' },
    });
    expect(wrongTypes.statusCode).toBe(400);
    const huge = await h.app.inject({
      method: 'POST',
      url: '/v1/workflows',
      headers: bearer(owner.token),
      payload: chain(
        'huge',
        Array.from({ length: 10_000 }, (_, i) => ({ name: `n${i}`, type: 'no-op' })),
      ),
    });
    expect(huge.statusCode).toBe(400);
    const [count] = await h.admin`select count(*)::int as n from workflow.workflows where name in ('huge')`;
    expect(count!.n).toBe(0);
  });
});
