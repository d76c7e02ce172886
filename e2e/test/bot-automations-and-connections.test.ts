import { randomUUID } from 'node:crypto';
import {
  type ConversationHarness,
  startConversationHarness,
} from '@conduit/conversation/test/fixtures/conversation-harness.js';
import { type GatewayHarness, startGateway } from '@conduit/gateway/test/fixtures/gateway-harness.js';
import {
  bearer,
  startWorkflowHarness,
  type TokenClaims,
  type WorkflowHarness,
} from '@conduit/workflow-engine/test/fixtures/workflow-harness.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Bot automations and connections across services: the real conversation service publishes its
// bots' saves (conversation.bot.saved / deleted) and answers whose bot it is and its memory; the
// workflow engine keeps automations in step and runs them as the bot; the gateway routes
// /v1/bots/:botId/automations and /v1/integrations to the engine. Then who may do what, through
// the gateway, as a table.

let wf: WorkflowHarness;
let conversation: ConversationHarness;
let gateway: GatewayHarness;
const TEAM = randomUUID();
const ACTORS = [
  'anonymous',
  'owner',
  'teamAdmin',
  'teamMember',
  'teamViewer',
  'stranger',
  'platformAdmin',
] as const;
type ActorName = (typeof ACTORS)[number];
const tokens = {} as Record<ActorName, string | undefined>;
const userIds = {} as Record<ActorName, string>;
const claims: Record<Exclude<ActorName, 'anonymous'>, TokenClaims> = {
  owner: { teams: { [TEAM]: 'owner' } },
  teamAdmin: { teams: { [TEAM]: 'admin' } },
  teamMember: { teams: { [TEAM]: 'member' } },
  teamViewer: { teams: { [TEAM]: 'viewer' } },
  stranger: { teams: { [randomUUID()]: 'owner' } },
  platformAdmin: { platformAdmin: true },
};

beforeAll(async () => {
  wf = await startWorkflowHarness();
  conversation = await startConversationHarness({ namespace: wf.childEnv.BUS_NAMESPACE, usage: false });
  gateway = await startGateway(
    {
      WORKFLOW_ENGINE_URL: await wf.app.listen({ port: 0, host: '127.0.0.1' }),
      CONVERSATION_URL: await conversation.listen(),
      IDENTITY_URL: 'http://127.0.0.1:9',
      RATE_LIMIT_MAX: '100000',
    },
    wf.tokens.verifier,
  );
  tokens.anonymous = undefined;
  userIds.anonymous = randomUUID();
  for (const [actor, claim] of Object.entries(claims) as [ActorName, TokenClaims][])
    ({ token: tokens[actor], userId: userIds[actor] } = await wf.tokens.mint(claim));
}, 120_000);
afterAll(async () => {
  await gateway?.close();
  await conversation?.close();
  await wf?.close();
}, 30_000);

/** The same user in conversation (its own token mint), with what it takes to keep bots. */
const inConversation = (actor: Exclude<ActorName, 'anonymous'>) =>
  conversation.tokens.mint({ ...claims[actor], userId: userIds[actor], perms: ['bots.read', 'bots.write'] });

async function saveBot(
  actor: Exclude<ActorName, 'anonymous'>,
  body: Record<string, unknown>,
  botId?: string,
) {
  const { headers } = await inConversation(actor);
  const res = await conversation.app.inject({
    method: botId ? 'PATCH' : 'POST',
    url: botId ? `/v1/bots/${botId}` : '/v1/bots',
    headers,
    payload: body,
  });
  expect(res.statusCode, res.body).toBe(botId ? 200 : 201);
  return res.json().id as string;
}

const viaGateway = (actor: ActorName, method: string, url: string, body?: unknown) =>
  fetch(`${gateway.url}${url}`, {
    method,
    headers: {
      ...(tokens[actor] ? bearer(tokens[actor]!) : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const automationsOf = async (botId: string) =>
  ((await (await viaGateway('owner', 'GET', `/v1/bots/${botId}/automations`)).json()) as { items: unknown[] })
    .items as {
    id: string;
    cron: string;
  }[];

describe('bot automations with the conversation service', () => {
  it("follow the bot's script as conversation saves it, and run as the bot with its memory", async () => {
    const botId = await saveBot('owner', {
      name: 'Reporter',
      script:
        'SET SCHEDULE "every 1 minute"\nSET BOT MEMORY "last", "ran"\nTALK "report sent"\nPRINT LLM "Summarize the day"',
    });
    const [automation] = await until('the automation', async () => {
      const list = await automationsOf(botId);
      return list.length ? list : undefined;
    });
    expect(automation!.cron).toBe('* * * * *');

    const asked = await viaGateway('owner', 'POST', `/v1/bots/${botId}/automations/${automation!.id}/run`);
    expect(asked.status).toBe(202);
    const { runId } = (await asked.json()) as { runId: string };
    const run = await until('the run', async () => {
      const page = (await (
        await viaGateway('owner', 'GET', `/v1/bots/${botId}/automations/${automation!.id}/runs`)
      ).json()) as { items: unknown[] };
      const runs = page.items as { id: string; status: string; output: string[]; error: string | null }[];
      return runs.find((r) => r.id === runId && r.status !== 'running');
    });
    // LLM went through conversation's providers (its offline one answers without a model),
    // charged to the bot's owner.
    expect(run.output[1]!.length).toBeGreaterThan(0);
    const charged = wf.usage.calls.filter((c) => c.items.some((item) => item.metric === 'ai_credits'));
    expect(charged.some((c) => c.subject.type === 'user' && c.subject.id === userIds.owner)).toBe(true);
    expect(run, JSON.stringify(run)).toMatchObject({
      status: 'success',
      output: ['report sent', expect.any(String)],
      error: null,
    });
    const { headers } = await inConversation('owner');
    const memory = await conversation.app.inject({
      method: 'GET',
      url: `/v1/bots/${botId}/memories/last`,
      headers,
    });
    expect(memory.statusCode, memory.body).toBe(200);
    expect(memory.json().value).toBe('ran');

    await saveBot('owner', { script: 'SET SCHEDULE "every 5 minutes"\nTALK "x"' }, botId);
    await until('the move', async () =>
      (await automationsOf(botId))[0]?.cron === '*/5 * * * *' ? true : undefined,
    );
    await saveBot('owner', { script: 'TALK "no schedule"' }, botId);
    await until('the removal', async () => ((await automationsOf(botId)).length === 0 ? true : undefined));

    await saveBot('owner', { script: 'SET SCHEDULE "daily at 7am"\nTALK "x"' }, botId);
    await until('the new one', async () => ((await automationsOf(botId)).length === 1 ? true : undefined));
    const removed = await conversation.app.inject({ method: 'DELETE', url: `/v1/bots/${botId}`, headers });
    expect(removed.statusCode).toBe(204);
    await until('the deletion', async () =>
      (await wf.admin`select count(*)::int as n from workflow.system_automations where bot_id = ${botId}`)[0]!
        .n === 0
        ? true
        : undefined,
    );
  });
});

describe('admin jobs across services', () => {
  it("list each running service's queue, conversation's beside the engine's, to platform admins", async () => {
    const res = await viaGateway('platformAdmin', 'GET', '/v1/admin/jobs');
    expect(res.status).toBe(200);
    const { services } = (await res.json()) as {
      services: { service: string; available: boolean; counts: Record<string, number> | null }[];
    };
    const counts = { waiting: expect.any(Number), active: expect.any(Number), failed: expect.any(Number) };
    for (const service of ['conversation', 'workflow-engine'])
      expect(services.find((s) => s.service === service)).toMatchObject({
        available: true,
        counts: expect.objectContaining(counts),
      });
    // Not started here: listed, as unavailable, rather than left out.
    expect(services.find((s) => s.service === 'identity')).toMatchObject({ available: false });
  });
});

interface Context {
  bot: string;
  automation: string;
  connection: string;
  integration: string;
  fresh(kind: 'automation' | 'connection'): Promise<string>;
}
interface Cell {
  method: string;
  url: string;
  body?: unknown;
}

const A = (c: Context) => `/v1/bots/${c.bot}/automations`;
const C = (c: Context) => `/v1/integrations/connections/${c.connection}`;
const newAutomation = { name: 'n', schedule: '0 4 * * *', script: 'TALK "x"' };

// biome-ignore format: the matrix reads as a table, one route per line
const MATRIX: { route: string; request: (c: Context) => Promise<Cell> | Cell; expected: number[] }[] = [
  // Columns: anonymous, owner, team admin, team member, team viewer, stranger, platform admin. The bot and the connection are the team's.
  // Automations answer only to the bot's owner and its team's owners and admins (not even a platform admin: they act as the bot).
  { route: 'GET automations', request: (c) => ({ method: 'GET', url: A(c) }), expected: [401, 200, 200, 403, 403, 404, 404] },
  { route: 'POST automation', request: (c) => ({ method: 'POST', url: A(c), body: newAutomation }), expected: [401, 201, 201, 403, 403, 404, 404] },
  { route: 'GET automation', request: (c) => ({ method: 'GET', url: `${A(c)}/${c.automation}` }), expected: [401, 200, 200, 403, 403, 404, 404] },
  { route: 'PATCH automation', request: (c) => ({ method: 'PATCH', url: `${A(c)}/${c.automation}`, body: { name: 'renamed' } }), expected: [401, 200, 200, 403, 403, 404, 404] },
  { route: 'POST run now', request: (c) => ({ method: 'POST', url: `${A(c)}/${c.automation}/run` }), expected: [401, 202, 202, 403, 403, 404, 404] },
  { route: 'GET runs', request: (c) => ({ method: 'GET', url: `${A(c)}/${c.automation}/runs` }), expected: [401, 200, 200, 403, 403, 404, 404] },
  { route: 'DELETE automation', request: async (c) => ({ method: 'DELETE', url: `${A(c)}/${await c.fresh('automation')}` }), expected: [401, 204, 204, 403, 403, 404, 404] },
  { route: 'GET integrations', request: () => ({ method: 'GET', url: '/v1/integrations' }), expected: [401, 200, 200, 200, 200, 200, 200] },
  { route: 'POST integration', request: () => ({ method: 'POST', url: '/v1/integrations', body: { key: `k-${randomUUID().slice(0, 8)}`, name: 'K', category: 'http', kind: 'http-bearer', configSchema: { type: 'object', properties: { token: { type: 'string', writeOnly: true } } } } }), expected: [401, 403, 403, 403, 403, 403, 201] },
  { route: 'PATCH integration', request: (c) => ({ method: 'PATCH', url: `/v1/integrations/${c.integration}`, body: { description: 'd' } }), expected: [401, 403, 403, 403, 403, 403, 200] },
  { route: 'POST team connection', request: () => ({ method: 'POST', url: '/v1/integrations/connections', body: { integrationId: '01935c2e-0000-7000-8000-000000000001', name: 'c', config: { baseUrl: 'https://api.example.com', token: 't' }, teamId: TEAM } }), expected: [401, 201, 201, 201, 403, 404, 201] },
  { route: 'GET connections', request: () => ({ method: 'GET', url: '/v1/integrations/connections' }), expected: [401, 200, 200, 200, 200, 200, 200] },
  { route: 'GET connection', request: (c) => ({ method: 'GET', url: C(c) }), expected: [401, 200, 200, 200, 200, 404, 200] },
  { route: 'PATCH connection', request: (c) => ({ method: 'PATCH', url: C(c), body: { name: 'renamed' } }), expected: [401, 200, 200, 200, 403, 404, 200] },
  { route: 'POST test connection', request: (c) => ({ method: 'POST', url: `${C(c)}/test` }), expected: [401, 200, 200, 200, 403, 404, 200] },
  { route: 'DELETE connection', request: async (c) => ({ method: 'DELETE', url: `/v1/integrations/connections/${await c.fresh('connection')}` }), expected: [401, 204, 204, 204, 403, 404, 204] },
  { route: 'GET admin jobs', request: () => ({ method: 'GET', url: '/v1/admin/jobs' }), expected: [401, 403, 403, 403, 403, 403, 200] },
  { route: 'DELETE unknown failed job', request: () => ({ method: 'DELETE', url: `/v1/admin/jobs/workflow-engine/failed/${randomUUID()}` }), expected: [401, 403, 403, 403, 403, 403, 404] },
  { route: 'POST retry unknown failed job', request: () => ({ method: 'POST', url: `/v1/admin/jobs/workflow-engine/failed/${randomUUID()}/retry` }), expected: [401, 403, 403, 403, 403, 403, 404] },
  { route: 'POST queue dashboard ticket', request: () => ({ method: 'POST', url: '/v1/admin/queue-dashboard/tickets' }), expected: [401, 403, 403, 403, 403, 403, 201] },
  { route: 'GET unknown bot automations', request: () => ({ method: 'GET', url: `/v1/bots/${randomUUID()}/automations` }), expected: [401, 404, 404, 404, 404, 404, 404] },
];

describe('automations, connections and admin jobs authorization matrix through the gateway', () => {
  let context: Context;
  beforeAll(async () => {
    // A team bot made by a member: its automations are the team owners' and admins' to manage.
    const bot = await saveBot('teamMember', { name: 'Team bot', teamId: TEAM });
    const api = async (method: string, url: string, body?: unknown, actor: ActorName = 'owner') => {
      const res = await viaGateway(actor, method, url, body);
      if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
      return (await res.json()) as { id: string; items: { id: string }[] };
    };
    const connection = () =>
      api('POST', '/v1/integrations/connections', {
        integrationId: '01935c2e-0000-7000-8000-000000000001',
        name: 'team api',
        config: { baseUrl: 'https://api.example.com', token: 'secret' },
        teamId: TEAM,
      });
    context = {
      bot,
      automation: (await api('POST', `/v1/bots/${bot}/automations`, newAutomation)).id,
      connection: (await connection()).id,
      integration: (await api('GET', '/v1/integrations')).items[0]!.id,
      async fresh(kind) {
        return kind === 'automation'
          ? (await api('POST', `/v1/bots/${bot}/automations`, newAutomation)).id
          : (await connection()).id;
      },
    };
  }, 60_000);

  it.each(MATRIX)('$route', async ({ request, expected }) => {
    const actual: Record<string, number> = {};
    const wanted: Record<string, number> = {};
    for (const [i, actor] of ACTORS.entries()) {
      const cell = await request(context);
      const res = await viaGateway(actor, cell.method, cell.url, cell.body);
      actual[actor] = res.status;
      wanted[actor] = expected[i]!;
      if (res.status >= 400) expect(res.headers.get('content-type')).toContain('application/problem+json');
      await res.arrayBuffer();
    }
    expect(actual).toEqual(wanted);
  });
});
