import { randomUUID } from 'node:crypto';
import { signVisitorToken } from '@conduit/conversation/src/domain/apps/visitor-token.js';
import { loadEnv as loadConversationEnv } from '@conduit/conversation/src/env.js';
import { type GatewayHarness, startGateway } from '@conduit/gateway/test/fixtures/gateway-harness.js';
import type { TokenClaims } from '@conduit/testing';
import {
  multipart,
  startWorkspaceHarness,
  type WorkspaceHarness,
} from '@conduit/workspace/test/fixtures/workspace-harness.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MatrixCell, type MatrixRow, runMatrixRow } from '../src/authorization-matrix.js';

// Who may do what in the workspace, through the gateway, kept as data: each route against every
// kind of caller. The team project and team file belong to `owner` and are shared with team T;
// the private project, file and encrypted chat are owner's alone. The platform admin has no way
// into anyone's workspace (it is personal data): it is refused as a stranger is.
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
  teamProject: string;
  privateProject: string;
  teamFile: string;
  privateFile: string;
  publicFile: string;
  chat: string;
  /** Makes a fresh resource owned by `owner` (for routes that destroy or link what they touch). */
  fresh(kind: 'teamProject' | 'teamFile' | 'teamChatLink' | 'teamFileLink' | 'chat'): Promise<string>;
  /** A new conversation chat session of the actor's own. */
  session(actor: ActorName): string;
}
const TEAM = randomUUID();
const sealed = () => ({
  keyId: 'k',
  nonce: Buffer.alloc(12, 1).toString('base64'),
  ciphertext: Buffer.alloc(40, 2).toString('base64'),
});
const file = (fields: Record<string, string> = {}) =>
  multipart(
    { name: 'notes.txt', contentType: 'text/plain', bytes: Buffer.from(`notes ${randomUUID()}`) },
    fields,
  );

const ALL_SIGNED_IN = [401, 200, 200, 200, 200, 200, 200];
const CREATED_BY_ALL = [401, 201, 201, 201, 201, 201, 201];
const TEAM_READ = [401, 200, 200, 200, 200, 404, 404];
const OWNER_ONLY = [401, 200, 404, 404, 404, 404, 404];

// biome-ignore format: the matrix reads as a table, one route per line
const MATRIX: MatrixRow<Context, ActorName>[] = [
  // Columns: anonymous, owner, team admin, team member, team viewer, stranger, platform admin.
  { route: 'GET preferences', request: () => ({ method: 'GET', url: '/v1/workspace/preferences' }), expected: ALL_SIGNED_IN },
  { route: 'PUT preferences', request: () => ({ method: 'PUT', url: '/v1/workspace/preferences', body: { preferredModel: 'm' } }), expected: ALL_SIGNED_IN },
  { route: 'GET theme', request: () => ({ method: 'GET', url: '/v1/workspace/theme' }), expected: ALL_SIGNED_IN },
  { route: 'PUT theme', request: () => ({ method: 'PUT', url: '/v1/workspace/theme', body: { mode: 'dark' } }), expected: ALL_SIGNED_IN },
  { route: 'GET customization', request: () => ({ method: 'GET', url: '/v1/workspace/customization' }), expected: ALL_SIGNED_IN },
  { route: 'PUT customization', request: () => ({ method: 'PUT', url: '/v1/workspace/customization', body: { compactMode: true } }), expected: ALL_SIGNED_IN },
  { route: 'GET sync', request: () => ({ method: 'GET', url: '/v1/sync' }), expected: ALL_SIGNED_IN },

  { route: 'POST chat', request: () => ({ method: 'POST', url: '/v1/workspace/chats', body: sealed() }), expected: CREATED_BY_ALL },
  { route: 'GET chats', request: () => ({ method: 'GET', url: '/v1/workspace/chats' }), expected: ALL_SIGNED_IN },
  { route: "GET owner's chat", request: (c) => ({ method: 'GET', url: `/v1/workspace/chats/${c.chat}` }), expected: OWNER_ONLY },
  { route: "PUT owner's chat", request: (c) => ({ method: 'PUT', url: `/v1/workspace/chats/${c.chat}`, body: sealed() }), expected: OWNER_ONLY },
  { route: "DELETE owner's chat", request: async (c) => ({ method: 'DELETE', url: `/v1/workspace/chats/${await c.fresh('chat')}` }), expected: [401, 204, 404, 404, 404, 404, 404] },
  { route: 'GET unknown chat', request: () => ({ method: 'GET', url: `/v1/workspace/chats/${randomUUID()}` }), expected: [401, 404, 404, 404, 404, 404, 404] },

  { route: 'POST project', request: () => ({ method: 'POST', url: '/v1/workspace/projects', body: { name: 'mine' } }), expected: CREATED_BY_ALL },
  { route: 'POST project in team', request: () => ({ method: 'POST', url: '/v1/workspace/projects', body: { name: 'ours', teamId: TEAM } }), expected: [401, 201, 201, 201, 403, 404, 404] },
  { route: 'GET projects', request: () => ({ method: 'GET', url: '/v1/workspace/projects' }), expected: ALL_SIGNED_IN },
  { route: 'GET team project', request: (c) => ({ method: 'GET', url: `/v1/workspace/projects/${c.teamProject}` }), expected: TEAM_READ },
  { route: 'PATCH team project', request: (c) => ({ method: 'PATCH', url: `/v1/workspace/projects/${c.teamProject}`, body: { description: 'edited' } }), expected: [401, 200, 200, 200, 403, 404, 404] },
  { route: 'DELETE team project', request: async (c) => ({ method: 'DELETE', url: `/v1/workspace/projects/${await c.fresh('teamProject')}` }), expected: [401, 204, 204, 204, 403, 404, 404] },
  { route: 'GET private project', request: (c) => ({ method: 'GET', url: `/v1/workspace/projects/${c.privateProject}` }), expected: OWNER_ONLY },
  { route: 'PATCH private project', request: (c) => ({ method: 'PATCH', url: `/v1/workspace/projects/${c.privateProject}`, body: { name: 'renamed' } }), expected: OWNER_ONLY },
  { route: 'POST team project chat (own session)', request: (c, a) => ({ method: 'POST', url: `/v1/workspace/projects/${c.teamProject}/chats`, body: { sessionId: c.session(a) } }), expected: [401, 201, 201, 201, 403, 404, 404] },
  { route: 'POST team project chat (owner\'s encrypted chat)', request: (c) => ({ method: 'POST', url: `/v1/workspace/projects/${c.teamProject}/chats`, body: { encryptedChatId: c.chat } }), expected: [401, 422, 404, 404, 403, 404, 404] },
  { route: 'GET team project chats', request: (c) => ({ method: 'GET', url: `/v1/workspace/projects/${c.teamProject}/chats` }), expected: TEAM_READ },
  { route: 'DELETE team project chat', request: async (c) => ({ method: 'DELETE', url: `/v1/workspace/projects/${c.teamProject}/chats/${await c.fresh('teamChatLink')}` }), expected: [401, 204, 204, 204, 403, 404, 404] },
  { route: 'POST team project file', request: async (c) => ({ method: 'POST', url: `/v1/workspace/projects/${c.teamProject}/files`, body: { mediaId: await c.fresh('teamFile') } }), expected: [401, 201, 201, 201, 403, 404, 404] },
  { route: 'GET team project files', request: (c) => ({ method: 'GET', url: `/v1/workspace/projects/${c.teamProject}/files` }), expected: TEAM_READ },
  { route: 'DELETE team project file', request: async (c) => ({ method: 'DELETE', url: `/v1/workspace/projects/${c.teamProject}/files/${await c.fresh('teamFileLink')}` }), expected: [401, 204, 204, 204, 403, 404, 404] },
  { route: 'GET private project chats', request: (c) => ({ method: 'GET', url: `/v1/workspace/projects/${c.privateProject}/chats` }), expected: OWNER_ONLY },
  { route: 'GET private project files', request: (c) => ({ method: 'GET', url: `/v1/workspace/projects/${c.privateProject}/files` }), expected: OWNER_ONLY },
  { route: 'GET unknown project', request: () => ({ method: 'GET', url: `/v1/workspace/projects/${randomUUID()}` }), expected: [401, 404, 404, 404, 404, 404, 404] },

  { route: 'POST file', request: () => ({ method: 'POST', url: '/v1/media', raw: file() }), expected: CREATED_BY_ALL },
  { route: 'POST file to team', request: () => ({ method: 'POST', url: '/v1/media', raw: file({ teamId: TEAM }) }), expected: [401, 201, 201, 201, 403, 404, 404] },
  { route: 'GET files', request: () => ({ method: 'GET', url: '/v1/media' }), expected: ALL_SIGNED_IN },
  { route: 'GET team file', request: (c) => ({ method: 'GET', url: `/v1/media/${c.teamFile}` }), expected: TEAM_READ },
  { route: 'GET team file content', request: (c) => ({ method: 'GET', url: `/v1/media/${c.teamFile}/content` }), expected: TEAM_READ },
  { route: 'PATCH team file', request: (c) => ({ method: 'PATCH', url: `/v1/media/${c.teamFile}`, body: { name: 'renamed.txt' } }), expected: [401, 200, 200, 200, 403, 404, 404] },
  { route: 'DELETE team file', request: async (c) => ({ method: 'DELETE', url: `/v1/media/${await c.fresh('teamFile')}` }), expected: [401, 204, 204, 204, 403, 404, 404] },
  { route: 'GET private file', request: (c) => ({ method: 'GET', url: `/v1/media/${c.privateFile}` }), expected: OWNER_ONLY },
  { route: 'GET private file content', request: (c) => ({ method: 'GET', url: `/v1/media/${c.privateFile}/content` }), expected: OWNER_ONLY },
  { route: 'PATCH private file', request: (c) => ({ method: 'PATCH', url: `/v1/media/${c.privateFile}`, body: { public: false } }), expected: OWNER_ONLY },
  { route: 'GET public file, no token needed', request: (c) => ({ method: 'GET', url: `/v1/public/media/${c.publicFile}` }), expected: [200, 200, 200, 200, 200, 200, 200] },
  { route: 'GET private file as public', request: (c) => ({ method: 'GET', url: `/v1/public/media/${c.privateFile}` }), expected: [404, 404, 404, 404, 404, 404, 404] },
  { route: 'GET unknown file', request: () => ({ method: 'GET', url: `/v1/media/${randomUUID()}` }), expected: [401, 404, 404, 404, 404, 404, 404] },
];

let h: WorkspaceHarness;
let gateway: GatewayHarness;
const tokens = {} as Record<ActorName, string | undefined>;
const userIds = {} as Record<ActorName, string>;
let context: Context;

async function asOwner(method: string, url: string, body?: unknown, raw?: MatrixCell['raw']) {
  const res = await h.app.inject({
    method: method as 'POST',
    url,
    headers: { authorization: `Bearer ${tokens.owner}`, ...raw?.headers },
    ...(raw
      ? { payload: raw.payload }
      : body !== undefined
        ? { payload: body as Record<string, unknown> }
        : {}),
  });
  if (res.statusCode !== 201) throw new Error(`${method} ${url} answered ${res.statusCode}: ${res.body}`);
  return res.json().id as string;
}

beforeAll(async () => {
  h = await startWorkspaceHarness();
  const workspaceUrl = await h.app.listen({ port: 0, host: '127.0.0.1' });
  gateway = await startGateway({ WORKSPACE_URL: workspaceUrl }, h.tokens.verifier);
  const claims: Record<Exclude<ActorName, 'anonymous'>, TokenClaims> = {
    owner: { teams: { [TEAM]: 'owner' } },
    teamAdmin: { teams: { [TEAM]: 'admin' } },
    teamMember: { teams: { [TEAM]: 'member' } },
    teamViewer: { teams: { [TEAM]: 'viewer' } },
    stranger: { teams: { [randomUUID()]: 'owner' } },
    platformAdmin: { platformAdmin: true },
  };
  tokens.anonymous = undefined;
  userIds.anonymous = randomUUID();
  for (const [actor, claim] of Object.entries(claims) as [ActorName, TokenClaims][])
    ({ token: tokens[actor], userId: userIds[actor] } = await h.tokens.mint(claim));

  const teamProject = await asOwner('POST', '/v1/workspace/projects', { name: 'team plan', teamId: TEAM });
  const privateProject = await asOwner('POST', '/v1/workspace/projects', { name: 'my diary' });
  const teamFile = await asOwner('POST', '/v1/media', undefined, file({ teamId: TEAM }));
  const privateFile = await asOwner('POST', '/v1/media', undefined, file());
  const publicFile = await asOwner('POST', '/v1/media', undefined, file({ public: 'true' }));
  const chat = await asOwner('POST', '/v1/workspace/chats', sealed());
  await asOwner('POST', `/v1/workspace/projects/${privateProject}/chats`, { encryptedChatId: chat });
  await asOwner('POST', `/v1/workspace/projects/${privateProject}/files`, { mediaId: privateFile });
  context = {
    teamProject,
    privateProject,
    teamFile,
    privateFile,
    publicFile,
    chat,
    async fresh(kind) {
      if (kind === 'teamProject')
        return asOwner('POST', '/v1/workspace/projects', { name: 'doomed', teamId: TEAM });
      if (kind === 'teamFile') return asOwner('POST', '/v1/media', undefined, file({ teamId: TEAM }));
      if (kind === 'chat') return asOwner('POST', '/v1/workspace/chats', sealed());
      if (kind === 'teamChatLink')
        return asOwner('POST', `/v1/workspace/projects/${teamProject}/chats`, {
          sessionId: h.startSession(userIds.owner),
        });
      const media = await asOwner('POST', '/v1/media', undefined, file({ teamId: TEAM }));
      return asOwner('POST', `/v1/workspace/projects/${teamProject}/files`, { mediaId: media });
    },
    session: (actor) => h.startSession(userIds[actor]),
  };
}, 60_000);
afterAll(async () => {
  await gateway?.close();
  await h?.close();
}, 30_000);

describe('workspace authorization matrix through the gateway', () => {
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

  it("refuses a widget visitor's token on every route, as it refuses no token", async () => {
    // A visitor of a published app holds conversation's token for the widget API only.
    const { token } = await signVisitorToken(
      loadConversationEnv({ NODE_ENV: 'test' }),
      randomUUID(),
      randomUUID(),
    );
    // What anyone without an account gets: 401, or public media (and its 404s) as for anyone.
    for (const row of MATRIX) {
      const { actual, wanted } = await runMatrixRow({
        gatewayUrl: gateway.url,
        actors: ['anonymous'] as const,
        tokens: { anonymous: token },
        context,
        row: { ...row, expected: row.expected.slice(0, 1) },
      });
      expect(actual, row.route).toEqual(wanted);
    }
  });

  it("merges the workspace's OpenAPI document into the gateway's /docs", async () => {
    const doc = (await (await fetch(`${gateway.url}/docs/json`)).json()) as {
      paths: Record<string, unknown>;
    };
    for (const path of [
      '/v1/sync',
      '/v1/media',
      '/v1/media/{mediaId}/content',
      '/v1/public/media/{mediaId}',
      '/v1/workspace/chats/{chatId}',
    ])
      expect(Object.keys(doc.paths)).toContain(path);
  });

  it("lists and syncs nobody's private things to anyone but their owner", async () => {
    for (const actor of ['teamAdmin', 'teamMember', 'teamViewer', 'stranger', 'platformAdmin'] as const) {
      const headers = { authorization: `Bearer ${tokens[actor]}` };
      for (const url of [
        '/v1/workspace/projects?limit=100',
        '/v1/media?limit=100',
        '/v1/workspace/chats',
        '/v1/sync?limit=500',
      ]) {
        const body = await (await fetch(`${gateway.url}${url}`, { headers })).text();
        for (const id of [context.privateProject, context.privateFile, context.chat])
          expect(body, `${actor} ${url}`).not.toContain(id);
        // A team's members see the team's project where it is listed; nobody else does.
        if (url.startsWith('/v1/workspace/projects') || url.startsWith('/v1/sync'))
          if (actor.startsWith('team')) expect(body, `${actor} ${url}`).toContain(context.teamProject);
          else expect(body, `${actor} ${url}`).not.toContain(context.teamProject);
      }
    }
  });
});
