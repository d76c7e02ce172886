import { unrefusedCursors, walkPages } from '@conduit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConversationHarness,
  MEMBER_PERMISSIONS,
  startConversationHarness,
} from '../fixtures/conversation-harness.js';

// Every list route of conversation, read two items at a time from the first page to the last,
// against the same rows read in order straight from Postgres.

let h: ConversationHarness;
let headers: Record<string, string>;
let userId: string;
let botId: string;
let sessionId: string;
let appId: string;
let publicKey: string;
let visitorSessionId: string;
/** A visitor of the app, from a page it may be embedded in. */
let visitorHeaders: Record<string, string>;
const SITE = 'https://a.example.com';

async function ok(method: 'POST' | 'PUT', url: string, payload: object) {
  const response = await h.app.inject({ method, url, headers, payload });
  expect(response.statusCode, response.body).toBeLessThan(300);
  return response.json();
}

beforeAll(async () => {
  h = await startConversationHarness();
  const minted = await h.tokens.mint({
    orgId: crypto.randomUUID(),
    perms: [...MEMBER_PERMISSIONS, 'org.manage'],
  });
  headers = minted.headers;
  userId = minted.userId;
  // Three of everything, names out of order, so that each list has a second and a last page.
  for (const name of ['Gamma', 'alpha', 'Beta']) botId = (await ok('POST', '/v1/bots', { name })).id;
  for (let i = 0; i < 3; i++) sessionId = (await ok('POST', `/v1/bots/${botId}/sessions`, {})).session.id;
  for (const text of ['paging starts here', 'paging paging again', 'and paging ends'])
    await ok('POST', `/v1/sessions/${sessionId}/messages`, { text });
  for (const name of ['zeta', 'Alpha', 'mid']) {
    const provider = await ok('POST', '/v1/providers', { name, baseUrl: 'http://127.0.0.1:9/v1' });
    await ok('POST', '/v1/models', { providerId: provider.id, name });
    await ok('POST', '/v1/prompts', { name, content: `You are ${name}` });
  }
  for (const name of ['zeta', 'Alpha', 'mid']) {
    await ok('PUT', `/v1/bots/${botId}/tools/${name}`, { script: 'PARAM word AS STRING\nRETURN word' });
    await ok('PUT', `/v1/bots/${botId}/memories/${name}`, { value: name });
    await ok('PUT', `/v1/memories/${name}`, { value: name });
  }
  for (const name of ['Gamma', 'alpha', 'Beta'])
    ({ id: appId, publicKey } = await ok('POST', '/v1/apps', { name, botId, status: 'published' }));
  for (const host of ['c', 'a', 'b']) {
    await ok('POST', `/v1/apps/${appId}/restricted-urls`, { url: `https://${host}.example.com/` });
    await ok('POST', `/v1/apps/${appId}/domains`, { domain: `${host}.example.com` });
  }
  // The app's public API, as a widget on an allowed page uses it with a visitor token.
  const visit = async (method: 'POST', url: string, payload?: object) => {
    const response = await h.app.inject({
      method,
      url,
      headers: visitorHeaders ?? { origin: SITE },
      ...(payload ? { payload } : {}),
    });
    expect(response.statusCode, response.body).toBeLessThan(300);
    return response.json();
  };
  const { token } = await visit('POST', `/v1/public/apps/${publicKey}/visitor`);
  visitorHeaders = { origin: SITE, authorization: `Bearer ${token}` };
  for (let i = 0; i < 3; i++)
    visitorSessionId = (await visit('POST', `/v1/public/apps/${publicKey}/sessions`, {})).session.id;
  for (const text of ['visiting', 'visiting again', 'still visiting'])
    await visit('POST', `/v1/public/apps/${publicKey}/sessions/${visitorSessionId}/messages`, { text });
}, 120_000);
afterAll(() => h?.close(), 30_000);

interface ListCase {
  path: string;
  /** What the item is known by in the list. */
  idOf: (item: Record<string, unknown>) => unknown;
  /** The same rows, in the list's order, read as the owner of the database. */
  expected: () => Promise<unknown[]>;
  /** Read as the app's visitor (the widget API) rather than as the signed-in user. */
  visitor?: true;
}

const column = async <Row extends Record<string, unknown>>(rows: Promise<Row[]>, name: keyof Row) =>
  (await rows).map((row) => row[name]);
const search = "websearch_to_tsquery('simple', 'paging')";

const lists: ListCase[] = [
  {
    path: '/v1/bots',
    idOf: (item) => item.id,
    expected: () => column(h.admin`select id from conversation.bots order by created_at desc, id desc`, 'id'),
  },
  {
    path: '/v1/sessions',
    idOf: (item) => item.id,
    expected: () =>
      column(
        h.admin`select id from conversation.sessions where user_id = ${userId}
          order by started_at desc, id desc`,
        'id',
      ),
  },
  {
    path: '/v1/sessions?botId={botId}',
    idOf: (item) => item.id,
    expected: () =>
      column(
        h.admin`select id from conversation.sessions where bot_id = ${botId} and user_id = ${userId}
          order by started_at desc, id desc`,
        'id',
      ),
  },
  {
    path: '/v1/sessions/{sessionId}/messages',
    idOf: (item) => item.id,
    expected: () =>
      column(
        h.admin`select id from conversation.message_history where session_id = ${sessionId}
          order by created_at, id`,
        'id',
      ),
  },
  {
    path: '/v1/messages/search?q=paging',
    idOf: (item) => item.id,
    expected: () =>
      column(
        h.admin.unsafe(
          `select id from conversation.message_history
           where user_id = $1 and search_vector @@ ${search}
           order by ts_rank(search_vector, ${search}) desc, created_at desc, id desc`,
          [userId],
        ),
        'id',
      ),
  },
  {
    path: '/v1/providers',
    idOf: (item) => item.id,
    expected: () => column(h.admin`select id from conversation.providers order by name, id`, 'id'),
  },
  {
    path: '/v1/models',
    idOf: (item) => item.id,
    expected: () => column(h.admin`select id from conversation.ai_models order by name, id`, 'id'),
  },
  {
    path: '/v1/prompts',
    idOf: (item) => item.id,
    expected: () => column(h.admin`select id from conversation.prompts order by name, id`, 'id'),
  },
  {
    path: '/v1/bots/{botId}/tools',
    idOf: (item) => item.name,
    expected: () =>
      column(
        h.admin`select name from conversation.basic_tools where bot_id = ${botId} order by name`,
        'name',
      ),
  },
  {
    path: '/v1/bots/{botId}/memories',
    idOf: (item) => item.key,
    expected: () =>
      column(h.admin`select key from conversation.bot_memories where bot_id = ${botId} order by key`, 'key'),
  },
  {
    path: '/v1/memories',
    idOf: (item) => item.key,
    expected: () =>
      column(
        h.admin`select key from conversation.user_memories where user_id = ${userId} order by key`,
        'key',
      ),
  },
  {
    path: '/v1/apps',
    idOf: (item) => item.id,
    expected: () => column(h.admin`select id from conversation.apps order by created_at desc, id desc`, 'id'),
  },
  {
    path: '/v1/apps/{appId}/restricted-urls',
    idOf: (item) => item.id,
    expected: () =>
      column(
        h.admin`select id from conversation.app_restricted_urls where app_id = ${appId} order by created_at, id`,
        'id',
      ),
  },
  {
    path: '/v1/apps/{appId}/domains',
    idOf: (item) => item.id,
    expected: () =>
      column(
        h.admin`select id from conversation.domains where app_id = ${appId} order by created_at, id`,
        'id',
      ),
  },
  {
    path: '/v1/public/apps/{publicKey}/sessions',
    visitor: true,
    idOf: (item) => item.id,
    expected: () =>
      column(
        h.admin`select s.id from conversation.sessions s join conversation.app_visitors v on v.id = s.user_id
          where v.app_id = ${appId} order by s.started_at desc, s.id desc`,
        'id',
      ),
  },
  {
    path: '/v1/public/apps/{publicKey}/sessions/{visitorSessionId}/messages',
    visitor: true,
    idOf: (item) => item.id,
    expected: () =>
      column(
        h.admin`select id from conversation.message_history where session_id = ${visitorSessionId}
          order by created_at, id`,
        'id',
      ),
  },
];

const get = (url: string, list?: ListCase) =>
  h.app.inject({ method: 'GET', url, headers: list?.visitor ? visitorHeaders : headers });
const urlOf = (path: string, query: string) =>
  `${path
    .replace('{botId}', botId)
    .replace('{sessionId}', sessionId)
    .replace('{appId}', appId)
    .replace('{publicKey}', publicKey)
    .replace('{visitorSessionId}', visitorSessionId)}${path.includes('?') ? '&' : '?'}${query}`;

describe('every list of conversation pages with an opaque cursor', () => {
  it.each(lists)('GET $path: every item once, in order, two at a time', async (list) => {
    const walked = await walkPages<Record<string, unknown>>((query) => get(urlOf(list.path, query), list), 2);
    const expected = await list.expected();
    expect(expected.length).toBeGreaterThan(2);
    expect(walked.map(list.idOf)).toEqual(expected);
  });

  it.each(lists)('GET $path: a malformed or tampered cursor is a 400 problem', async (list) => {
    const real = (await get(urlOf(list.path, 'limit=1'), list)).json().nextCursor as string;
    expect(real).toEqual(expect.any(String));
    expect(await unrefusedCursors((query) => get(urlOf(list.path, query), list), real)).toEqual([]);
  });
});
