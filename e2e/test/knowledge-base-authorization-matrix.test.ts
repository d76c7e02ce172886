import { randomUUID } from 'node:crypto';
import { type GatewayHarness, startGateway } from '@conduit/gateway/test/fixtures/gateway-harness.js';
import {
  type IdentityHarness,
  registerUser,
  startIdentityHarness,
} from '@conduit/identity/test/fixtures/identity-harness.js';
import {
  addText,
  bearer,
  createCollection,
  type KnowledgeHarness,
  startKnowledgeHarness,
  type TokenClaims,
} from '@conduit/knowledge-base/test/fixtures/knowledge-harness.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MatrixRow, runMatrixRow } from '../src/authorization-matrix.js';

// Who may do what, through the gateway, kept as data: each route against every kind of caller.
// The team collection belongs to `owner` and is shared with team T; the private one is owner's.
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

interface Context {
  team: string;
  priv: string;
  document: string;
  /** Makes a fresh resource owned by `owner` (for routes that destroy what they touch). */
  fresh(kind: 'teamCollection' | 'teamDocument'): Promise<string>;
  /** A new chat session of the actor's own (any id for the anonymous caller). */
  session(actor: ActorName): string;
}
// biome-ignore format: the matrix reads as a table, one route per line
const MATRIX: MatrixRow<Context, ActorName>[] = [
  // Columns: anonymous, owner, team admin, team member, team viewer, stranger, platform admin.
  { route: 'GET team collection', request: (c) => ({ method: 'GET', url: `/v1/kb/collections/${c.team}` }), expected: [401, 200, 200, 200, 200, 404, 200] },
  { route: 'PATCH team collection', request: (c) => ({ method: 'PATCH', url: `/v1/kb/collections/${c.team}`, body: { description: 'edited' } }), expected: [401, 200, 200, 200, 403, 404, 200] },
  { route: 'PATCH team settings', request: (c) => ({ method: 'PATCH', url: `/v1/kb/collections/${c.team}/settings`, body: { chunkOverlap: 50 } }), expected: [401, 200, 200, 200, 403, 404, 200] },
  { route: 'POST team reindex', request: (c) => ({ method: 'POST', url: `/v1/kb/collections/${c.team}/reindex` }), expected: [401, 202, 202, 202, 403, 404, 202] },
  { route: 'DELETE team collection', request: async (c) => ({ method: 'DELETE', url: `/v1/kb/collections/${await c.fresh('teamCollection')}` }), expected: [401, 204, 204, 204, 403, 404, 204] },
  { route: 'GET team documents', request: (c) => ({ method: 'GET', url: `/v1/kb/collections/${c.team}/documents` }), expected: [401, 200, 200, 200, 200, 404, 200] },
  { route: 'GET team document', request: (c) => ({ method: 'GET', url: `/v1/kb/collections/${c.team}/documents/${c.document}` }), expected: [401, 200, 200, 200, 200, 404, 200] },
  { route: 'GET team document chunks', request: (c) => ({ method: 'GET', url: `/v1/kb/collections/${c.team}/documents/${c.document}/chunks` }), expected: [401, 200, 200, 200, 200, 404, 200] },
  { route: 'POST team document', request: (c, a) => ({ method: 'POST', url: `/v1/kb/collections/${c.team}/documents`, body: { name: a, text: `written by ${a} ${randomUUID()}` } }), expected: [401, 201, 201, 201, 403, 404, 201] },
  { route: 'DELETE team document', request: async (c) => ({ method: 'DELETE', url: `/v1/kb/collections/${c.team}/documents/${await c.fresh('teamDocument')}` }), expected: [401, 204, 204, 204, 403, 404, 204] },
  { route: 'GET team search', request: (c) => ({ method: 'GET', url: `/v1/kb/collections/${c.team}/search?q=roadmap` }), expected: [401, 200, 200, 200, 200, 404, 200] },
  { route: 'PUT session -> team', request: (c, a) => ({ method: 'PUT', url: `/v1/kb/sessions/${c.session(a)}/collections/${c.team}` }), expected: [401, 201, 201, 201, 201, 404, 201] },
  { route: 'POST team datasource', request: (c) => ({ method: 'POST', url: `/v1/kb/collections/${c.team}/datasources`, body: { url: 'http://127.0.0.1:9/none' } }), expected: [401, 201, 201, 201, 403, 404, 201] },
  { route: 'GET private collection', request: (c) => ({ method: 'GET', url: `/v1/kb/collections/${c.priv}` }), expected: [401, 200, 404, 404, 404, 404, 200] },
  { route: 'PATCH private collection', request: (c) => ({ method: 'PATCH', url: `/v1/kb/collections/${c.priv}`, body: { name: 'mine' } }), expected: [401, 200, 404, 404, 404, 404, 200] },
  { route: 'GET private documents', request: (c) => ({ method: 'GET', url: `/v1/kb/collections/${c.priv}/documents` }), expected: [401, 200, 404, 404, 404, 404, 200] },
  { route: 'POST private document', request: (c, a) => ({ method: 'POST', url: `/v1/kb/collections/${c.priv}/documents`, body: { name: a, text: `by ${a} ${randomUUID()}` } }), expected: [401, 201, 404, 404, 404, 404, 201] },
  { route: 'GET private search', request: (c) => ({ method: 'GET', url: `/v1/kb/collections/${c.priv}/search?q=salary` }), expected: [401, 200, 404, 404, 404, 404, 200] },
  { route: 'GET multi search naming private', request: (c) => ({ method: 'GET', url: `/v1/kb/search?q=salary&collectionIds=${c.priv}` }), expected: [401, 200, 404, 404, 404, 404, 200] },
  { route: 'PUT session -> private', request: (c, a) => ({ method: 'PUT', url: `/v1/kb/sessions/${c.session(a)}/collections/${c.priv}` }), expected: [401, 201, 404, 404, 404, 404, 201] },
  { route: 'GET unknown collection', request: () => ({ method: 'GET', url: `/v1/kb/collections/${randomUUID()}` }), expected: [401, 404, 404, 404, 404, 404, 404] },
  { route: 'POST collection in team', request: () => ({ method: 'POST', url: '/v1/kb/collections', body: { name: 'new', teamId: TEAM } }), expected: [401, 201, 201, 201, 403, 404, 201] },
];

const TEAM = randomUUID();
let kb: KnowledgeHarness;
let identity: IdentityHarness;
let gateway: GatewayHarness;
const tokens = {} as Record<ActorName, string | undefined>;
const userIds = {} as Record<ActorName, string>;
let context: Context;

beforeAll(async () => {
  kb = await startKnowledgeHarness({ worker: false });
  identity = await startIdentityHarness();
  const identityUrl = await identity.app.listen({ port: 0, host: '127.0.0.1' });
  const kbUrl = await kb.app.listen({ port: 0, host: '127.0.0.1' });
  gateway = await startGateway({ IDENTITY_URL: identityUrl, KNOWLEDGE_BASE_URL: kbUrl }, kb.tokens.verifier);
  const claims: Record<Exclude<ActorName, 'anonymous'>, TokenClaims> = {
    owner: { teams: { [TEAM]: 'owner' } },
    teamAdmin: { teams: { [TEAM]: 'admin' } },
    teamMember: { teams: { [TEAM]: 'member' } },
    teamViewer: { teams: { [TEAM]: 'viewer' } },
    stranger: { teams: { [randomUUID()]: 'owner' } },
    platformAdmin: { platformAdmin: true, perms: [] },
  };
  tokens.anonymous = undefined;
  userIds.anonymous = randomUUID();
  for (const [actor, claim] of Object.entries(claims) as [ActorName, TokenClaims][]) {
    ({ token: tokens[actor], userId: userIds[actor] } = await kb.tokens.mint(claim));
  }
  const owner = tokens.owner!;
  const team = (await createCollection(kb, owner, { name: 'team roadmap', teamId: TEAM })).id;
  const priv = (await createCollection(kb, owner, { name: 'my salary notes' })).id;
  const document = (await addText(kb, owner, team, { name: 'roadmap', text: 'The roadmap for next year.' }))
    .id;
  context = {
    team,
    priv,
    document,
    async fresh(kind) {
      if (kind === 'teamCollection')
        return (await createCollection(kb, owner, { name: 'doomed', teamId: TEAM })).id;
      return (await addText(kb, owner, team, { name: 'doomed', text: `doomed ${randomUUID()}` })).id;
    },
    session: (actor) => kb.sessions.start(userIds[actor]),
  };
}, 60_000);
afterAll(async () => {
  await gateway?.close();
  await identity?.close();
  await kb?.close();
}, 30_000);

describe('authorization matrix through the gateway', () => {
  it.each(MATRIX)('$route', async (row) => {
    const { actual, wanted } = await runMatrixRow({
      gatewayUrl: gateway.url,
      actors: ACTORS,
      tokens,
      context,
      row,
    });
    expect(actual).toEqual(wanted);
  });

  it('lets nobody but the owner (and the platform admin) learn that a private collection exists', async () => {
    for (const actor of ['teamAdmin', 'teamMember', 'teamViewer', 'stranger'] as const) {
      const listed = await fetch(`${gateway.url}/v1/kb/collections?limit=100`, {
        headers: bearer(tokens[actor]!),
      });
      const list = (await listed.json()) as { items: { name: string }[] };
      const names = list.items.map((c: { name: string }) => c.name);
      expect(names, actor).not.toContain('my salary notes');
      if (actor !== 'stranger') expect(names, actor).toContain('team roadmap');
      else expect(names).not.toContain('team roadmap');
      const searched = await fetch(`${gateway.url}/v1/kb/search?q=salary+notes`, {
        headers: bearer(tokens[actor]!),
      });
      const all = (await searched.json()) as { hits: { collectionId: string }[] };
      expect(all.hits.map((hit: { collectionId: string }) => hit.collectionId)).not.toContain(context.priv);
    }
  });

  it('passes uploads up to 25 MiB through the gateway, whose default body limit is 1 MiB', async () => {
    const text = 'x '.repeat(1024 * 1024); // 2 MiB
    const res = await fetch(`${gateway.url}/v1/kb/collections/${context.priv}/documents`, {
      method: 'POST',
      headers: { ...bearer(tokens.owner!), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'big', text }),
    });
    expect(res.status).toBe(201);
    const tooBig = await fetch(`${gateway.url}/v1/kb/collections/${context.priv}/documents`, {
      method: 'POST',
      headers: { ...bearer(tokens.owner!), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'too big', text: 'y'.repeat(26 * 1024 * 1024) }),
    });
    expect(tooBig.status).toBe(413);
  });

  it("accepts identity's own access tokens, checked against its JWKS", async () => {
    const viaJwks = await startKnowledgeHarness({
      worker: false,
      identityTokens: true,
      env: { IDENTITY_URL: `http://127.0.0.1:${(identity.app.server.address() as { port: number }).port}` },
    });
    try {
      const account = await registerUser(identity);
      const list = await viaJwks.app.inject({
        method: 'GET',
        url: '/v1/kb/collections',
        headers: bearer(account.accessToken),
      });
      expect(list.statusCode).toBe(200);
      const forged = await viaJwks.app.inject({
        method: 'GET',
        url: '/v1/kb/collections',
        headers: bearer(tokens.owner!),
      });
      expect(forged.statusCode).toBe(401);
    } finally {
      await viaJwks.close();
    }
  });
});
