import { walkPages } from '@conduit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConversationHarness,
  MEMBER_PERMISSIONS,
  startConversationHarness,
} from '../fixtures/conversation-harness.js';

// Bot tables (issue #19, family 3): the script verbs through a dialog, checked by the rows they
// leave; filters and table names that try SQL refused with nothing written; the tables API with
// its authorization, keyset paging and CSV import / export.

let h: ConversationHarness;
const orgId = crypto.randomUUID();
const teamId = crypto.randomUUID();
type Minted = Awaited<ReturnType<ConversationHarness['tokens']['mint']>>;
let owner: Minted;

beforeAll(async () => {
  h = await startConversationHarness();
  owner = await h.tokens.mint({
    orgId,
    teams: { [teamId]: 'owner' },
    perms: [...MEMBER_PERMISSIONS, 'org.manage'],
  });
});
afterAll(async () => {
  await h?.close();
});

async function call(
  method: string,
  url: string,
  payload?: object,
  headers: Record<string, string> = owner.headers,
) {
  const res = await h.app.inject({ method: method as 'GET', url, headers, ...(payload ? { payload } : {}) });
  if (res.statusCode >= 300) throw new Error(`${method} ${url} -> ${res.statusCode} ${res.body}`);
  return res.statusCode === 204 ? null : res.json();
}

async function botWith(script: string | null, extra: object = {}) {
  return (await call('POST', '/v1/bots', { name: 'Tables bot', script, ...extra })).id as string;
}

const talks = async (botId: string, headers: Record<string, string> = owner.headers) =>
  ((await call('POST', `/v1/bots/${botId}/sessions`, {}, headers)).messages as { content: string }[]).map(
    (m) => m.content,
  );

const rowsOf = async (botId: string, table: string) =>
  (
    await h.admin`select r.key, r.data from conversation.bot_table_rows r
      join conversation.bot_tables t on t.id = r.table_id
      where t.bot_id = ${botId} and t.name = ${table} order by r.id`
  ).map((r) => ({ key: r.key, data: r.data }));

const countAll = async () =>
  (
    await h.admin`select (select count(*)::int from conversation.bot_tables) + (select count(*)::int from conversation.bot_table_rows) as n`
  )[0]!.n as number;

describe('table verbs in a dialog', () => {
  it('SAVE upserts by its first column; INSERT, UPDATE, DELETE, FIND and MERGE change and read rows', async () => {
    const botId = await botWith(`name = "Ana"
email = "ana@example.com"
age = 31
SAVE "Leads.csv", email, name, age
age = 32
SAVE "leads", email, name, age
id = INSERT "leads", {"email": "rui@example.com", "name": "Rui", "age": "45", "stage": "new"}
INSERT "leads", {"email": "eva@example.com", "name": "Eva", "age": 17, "stage": "new"}
changed = UPDATE "leads", "age>=18 AND stage=new", {"stage": "qualified"}
gone = DELETE "leads", "age<18"
adults = FIND "leads", "age > 30"
named = FIND "leads", "name LIKE 'a%' OR name = 'RUI'"
merged = MERGE "leads", [{"email": "ana@example.com", "vip": TRUE}, {"email": "zoe@example.com", "name": "Zoe"}], "email"
TALK changed & " " & gone & " " & LEN(adults) & " " & LEN(named) & " " & merged & " " & LEN(id)`);
    expect(await talks(botId)).toEqual(['1 1 2 2 2 36']);
    expect(await rowsOf(botId, 'leads')).toEqual([
      { key: 'ana@example.com', data: { email: 'ana@example.com', name: 'Ana', age: 32, vip: true } },
      { key: null, data: { email: 'rui@example.com', name: 'Rui', age: '45', stage: 'qualified' } },
      { key: 'zoe@example.com', data: { email: 'zoe@example.com', name: 'Zoe' } },
    ]);
  });

  it('FIND on a table feeds the in-memory data verbs', async () => {
    const botId =
      await botWith(`MERGE "orders", [{"id": 1, "region": "north", "month": "jan", "total": 10, "rep": "ana"}, _
  {"id": 2, "region": "north", "month": "feb", "total": 5, "rep": "rui"}, _
  {"id": 3, "region": "south", "month": "jan", "total": 7, "rep": "ana", "note": ""}], "id"
SAVE "reps", rep, team
orders = FIND "orders", ""
big = FILTER orders, "total>=7"
sum = AGGREGATE "SUM", orders, "total"
groups = GROUP BY orders, "region"
reps = [{"rep": "ana", "team": "red"}, {"rep": "rui", "team": "blue"}]
joined = JOIN(orders, reps, "rep")
pivot = PIVOT orders, "region", "month", "total"
mapped = MAP orders, "rep->seller"
filled = FILL orders, {"note": "-"}
TALK LEN(big) & "|" & sum & "|" & LEN(groups.north) & "|" & joined[1].team & "|" & pivot[0].feb & "|" & FIRST(mapped).seller & "|" & LAST(filled).note & "|" & FORMAT(sum / 3, "0.0")`);
    const said = await talks(botId);
    // SAVE with Nothing in its key column is refused: the dialog stops there with that message.
    expect(said[0]).toMatch(/SAVE failed: The key column "rep" is empty/);
    expect(await rowsOf(botId, 'orders')).toHaveLength(3);
    await call('PATCH', `/v1/bots/${botId}`, {
      script: `orders = FIND "orders", ""
big = FILTER orders, "total>=7"
sum = AGGREGATE "SUM", orders, "total"
groups = GROUP BY orders, "region"
reps = [{"rep": "ana", "team": "red"}, {"rep": "rui", "team": "blue"}]
joined = JOIN(orders, reps, "rep")
pivot = PIVOT orders, "region", "month", "total"
mapped = MAP orders, "rep->seller"
filled = FILL orders, {"note": "-"}
TALK LEN(big) & "|" & sum & "|" & LEN(groups.north) & "|" & joined[1].team & "|" & pivot[0].feb & "|" & FIRST(mapped).seller & "|" & LAST(filled).note & "|" & FORMAT(sum / 3, "0.0")`,
    });
    expect(await talks(botId)).toEqual(['2|22|2|blue|5|ana|-|7.3']);
  });

  it('a filter or table name that tries SQL is refused with a clear error and nothing is written', async () => {
    // Literal ones: the script does not compile.
    for (const script of [
      `rows = FIND "leads", "name='x'; DROP TABLE conversation.bots; --"`,
      'SAVE "leads; DROP TABLE conversation.bots", name',
      `n = DELETE "leads", "1=1"`,
    ]) {
      const res = await h.app.inject({
        method: 'POST',
        url: '/v1/bots',
        headers: owner.headers,
        payload: { name: 'x', script },
      });
      expect(res.statusCode, script).toBe(422);
      expect(res.json().detail).toMatch(/is not (valid|a table name)/);
    }
    // Computed ones: the script stops with the message before anything is stored.
    const botId = await botWith(`SAVE "leads", email
evil = "email='a' OR 1=1; DELETE FROM conversation.bot_table_rows; --"
n = UPDATE "leads", evil, {"owned": TRUE}`);
    const before = await countAll();
    const said = await talks(botId);
    expect(said[0]).toMatch(/SAVE failed: The key column "email" is empty/);
    const second = await botWith(`email = "a@b.co"
SAVE "leads", email
evil = "email='a' OR 1=1; DELETE FROM conversation.bot_table_rows; --"
n = UPDATE "leads", evil, {"owned": TRUE}
TALK "not reached"`);
    const stopped = await talks(second);
    expect(stopped).toHaveLength(1);
    expect(stopped[0]).toMatch(/UPDATE failed: The filter .* is not valid: .*no meaning in a filter/);
    const table = "leads' ; drop table conversation.bots; --";
    const third = await botWith(`t = "${table.replace(/"/g, '')}"\nINSERT t, {"a": 1}`);
    expect((await talks(third))[0]).toMatch(/INSERT failed: .* is not a table name/);
    // One row from the second bot's SAVE, and its table: the UPDATE changed nothing.
    expect(await countAll()).toBe(before + 2);
    expect(await rowsOf(second, 'leads')).toEqual([{ key: 'a@b.co', data: { email: 'a@b.co' } }]);
    expect((await h.admin`select count(*)::int as n from conversation.bots`)[0]!.n).toBeGreaterThan(0);
  });
});

describe('the tables API', () => {
  it('creates, lists (keyset pages), filters, adds, changes and deletes rows and tables', async () => {
    const botId = await botWith(null);
    expect(await call('POST', `/v1/bots/${botId}/tables`, { name: 'contacts' })).toMatchObject({
      name: 'contacts',
      rows: 0,
    });
    const dup = await h.app.inject({
      method: 'POST',
      url: `/v1/bots/${botId}/tables`,
      headers: owner.headers,
      payload: { name: 'Contacts' },
    });
    expect(dup.statusCode).toBe(409);
    const bad = await h.app.inject({
      method: 'POST',
      url: `/v1/bots/${botId}/tables`,
      headers: owner.headers,
      payload: { name: 'x; drop table y' },
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().detail).toMatch(/is not a table name/);
    for (const name of ['b-table', 'a_table']) await call('POST', `/v1/bots/${botId}/tables`, { name });

    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const row = await call('POST', `/v1/bots/${botId}/tables/contacts/rows`, {
        data: { n: i, name: `p${i}`, even: i % 2 === 0 },
      });
      ids.push(row.id);
    }
    const keyed = await call('POST', `/v1/bots/${botId}/tables/contacts/rows`, {
      key: 'k1',
      data: { n: 100 },
    });
    const merged = await call('POST', `/v1/bots/${botId}/tables/contacts/rows`, {
      key: 'k1',
      data: { name: 'key' },
    });
    expect(merged.id).toBe(keyed.id);
    expect(merged.data).toEqual({ n: 100, name: 'key' });
    ids.push(keyed.id);

    const tables = await walkPages<{ name: string; rows: number }>(
      (query) =>
        h.app.inject({ method: 'GET', url: `/v1/bots/${botId}/tables?${query}`, headers: owner.headers }),
      1,
    );
    expect(tables.map((t) => [t.name, t.rows])).toEqual([
      ['a_table', 0],
      ['b-table', 0],
      ['contacts', 8],
    ]);
    const rows = await walkPages<{ id: string }>(
      (query) =>
        h.app.inject({
          method: 'GET',
          url: `/v1/bots/${botId}/tables/contacts/rows?${query}`,
          headers: owner.headers,
        }),
      3,
    );
    expect(rows.map((r) => r.id)).toEqual(ids);
    const filtered = await call(
      'GET',
      `/v1/bots/${botId}/tables/contacts/rows?filter=${encodeURIComponent('even = true AND n >= 2')}`,
    );
    expect(filtered.items.map((r: { data: { n: number } }) => r.data.n)).toEqual([2, 4, 6]);
    const sqlFilter = await h.app.inject({
      method: 'GET',
      url: `/v1/bots/${botId}/tables/contacts/rows?filter=${encodeURIComponent('n=1; select pg_sleep(5)')}`,
      headers: owner.headers,
    });
    expect(sqlFilter.statusCode).toBe(422);
    expect(sqlFilter.headers['content-type']).toMatch(/problem\+json/);

    const patched = await call('PATCH', `/v1/bots/${botId}/tables/contacts/rows/${ids[0]}`, {
      data: { vip: true },
      merge: true,
    });
    expect(patched.data).toEqual({ n: 0, name: 'p0', even: true, vip: true });
    const replaced = await call('PATCH', `/v1/bots/${botId}/tables/contacts/rows/${ids[0]}`, {
      data: { only: 1 },
    });
    expect(replaced.data).toEqual({ only: 1 });
    expect((await call('GET', `/v1/bots/${botId}/tables/contacts/rows/${ids[0]}`)).data).toEqual({ only: 1 });
    await call('DELETE', `/v1/bots/${botId}/tables/contacts/rows/${ids[1]}`);
    const missing = await h.app.inject({
      method: 'GET',
      url: `/v1/bots/${botId}/tables/contacts/rows/${ids[1]}`,
      headers: owner.headers,
    });
    expect(missing.statusCode).toBe(404);
    await call('DELETE', `/v1/bots/${botId}/tables/contacts`);
    expect(await rowsOf(botId, 'contacts')).toEqual([]);
  });

  it('exports CSV (streamed, formulas defused) and imports it back, with a key, replace, and limits', async () => {
    const botId = await botWith(null);
    await call('POST', `/v1/bots/${botId}/tables/people/rows`, {
      data: { name: 'Ana, "the boss"', city: 'Lisbon', tags: ['a', 'b'] },
    });
    await call('POST', `/v1/bots/${botId}/tables/people/rows`, {
      data: { name: '=HYPERLINK("x")', age: 40 },
    });
    const exported = await h.app.inject({
      method: 'GET',
      url: `/v1/bots/${botId}/tables/people/csv`,
      headers: owner.headers,
    });
    expect(exported.statusCode).toBe(200);
    expect(exported.headers['content-type']).toMatch(/^text\/csv/);
    expect(exported.body).toBe(
      'city,name,tags,age\r\nLisbon,"Ana, ""the boss""","[""a"",""b""]",\r\n,"\'=HYPERLINK(""x"")",,40\r\n',
    );

    const csv = 'email,name,score\r\na@x.io,Ana,10\r\nb@x.io,Bea,20\r\na@x.io,Ana B,11\r\n';
    const imported = await h.app.inject({
      method: 'POST',
      url: `/v1/bots/${botId}/tables/scores/csv?key=email`,
      headers: { ...owner.headers, 'content-type': 'text/csv' },
      payload: csv,
    });
    expect(imported.statusCode, imported.body).toBe(200);
    expect(imported.json()).toEqual({ table: 'scores', imported: 2 });
    expect(await rowsOf(botId, 'scores')).toEqual([
      { key: 'a@x.io', data: { email: 'a@x.io', name: 'Ana B', score: '11' } },
      { key: 'b@x.io', data: { email: 'b@x.io', name: 'Bea', score: '20' } },
    ]);
    // Numbers imported as text still compare as numbers in filters.
    const found = await call(
      'GET',
      `/v1/bots/${botId}/tables/scores/rows?filter=${encodeURIComponent('score > 15')}`,
    );
    expect(found.items.map((r: { key: string }) => r.key)).toEqual(['b@x.io']);
    const replaced = await h.app.inject({
      method: 'POST',
      url: `/v1/bots/${botId}/tables/scores/csv?replace=true`,
      headers: { ...owner.headers, 'content-type': 'text/csv' },
      payload: 'email,name\nc@x.io,Cy\n',
    });
    expect(replaced.json()).toEqual({ table: 'scores', imported: 1 });
    expect(await rowsOf(botId, 'scores')).toEqual([{ key: null, data: { email: 'c@x.io', name: 'Cy' } }]);

    const before = await countAll();
    for (const [payload, query, status, detail] of [
      ['email,name\n"unclosed,x\n', '', 422, /not valid at row/],
      ['email,email\na,b\n', '', 422, /appears twice/],
      ['email,name\na,b\n', '?key=missing', 422, /not in the CSV's header/],
      ['email,name\n,b\n', '?key=email', 422, /key column "email" is empty/],
    ] as const) {
      const res = await h.app.inject({
        method: 'POST',
        url: `/v1/bots/${botId}/tables/bad/csv${query}`,
        headers: { ...owner.headers, 'content-type': 'text/csv' },
        payload,
      });
      expect(res.statusCode, payload).toBe(status);
      expect(res.json().detail).toMatch(detail);
    }
    const huge = await h.app.inject({
      method: 'POST',
      url: `/v1/bots/${botId}/tables/bad/csv`,
      headers: { ...owner.headers, 'content-type': 'text/csv' },
      payload: `a\n${'x\n'.repeat(600_000)}`,
    });
    expect(huge.statusCode).toBe(413);
    expect(await countAll()).toBe(before);
  });
});

describe('tables authorization', () => {
  const roles = [
    'owner',
    'teamAdmin',
    'teamMember',
    'teamViewer',
    'stranger',
    'orgReader',
    'anonymous',
  ] as const;
  type Role = (typeof roles)[number];
  const headers = {} as Record<Role, Record<string, string>>;
  let botId: string;
  let rowId: string;

  beforeAll(async () => {
    headers.owner = owner.headers;
    headers.teamAdmin = (await h.tokens.mint({ orgId, teams: { [teamId]: 'admin' } })).headers;
    headers.teamMember = (await h.tokens.mint({ orgId, teams: { [teamId]: 'member' } })).headers;
    headers.teamViewer = (await h.tokens.mint({ orgId, teams: { [teamId]: 'viewer' } })).headers;
    headers.stranger = (await h.tokens.mint({ orgId: crypto.randomUUID() })).headers;
    // May talk to the bot (organization visibility) but its tables are not theirs.
    headers.orgReader = (await h.tokens.mint({ orgId })).headers;
    headers.anonymous = {};
    botId = await botWith('email = "v@x.io"\nSAVE "visitors", email\nTALK "saved"', {
      teamId,
      visibility: 'organization',
    });
    rowId = (await call('POST', `/v1/bots/${botId}/tables/leads/rows`, { data: { a: 1 } })).id;
  });

  const expected: Record<Role, { read: number; write: number }> = {
    owner: { read: 200, write: 201 },
    teamAdmin: { read: 200, write: 201 },
    teamMember: { read: 200, write: 403 },
    teamViewer: { read: 200, write: 403 },
    stranger: { read: 404, write: 404 },
    orgReader: { read: 404, write: 404 },
    anonymous: { read: 401, write: 401 },
  };

  it.each(roles)('%s', async (role) => {
    const as = headers[role];
    const inject = (method: string, url: string, payload?: object, extra: Record<string, string> = {}) =>
      h.app.inject({
        method: method as 'GET',
        url,
        headers: { ...as, ...extra },
        ...(payload ? { payload } : {}),
      });
    const base = `/v1/bots/${botId}/tables`;
    const reads = [
      await inject('GET', base),
      await inject('GET', `${base}/leads/rows`),
      await inject('GET', `${base}/leads/rows/${rowId}`),
      await inject('GET', `${base}/leads/csv`),
    ];
    for (const res of reads) expect(res.statusCode, `${role} read ${res.body}`).toBe(expected[role].read);
    const writes = [
      await inject('POST', `${base}/leads/rows`, { data: { by: role } }),
      await inject('POST', base, { name: `t-${role.toLowerCase()}` }),
    ];
    for (const res of writes) expect(res.statusCode, `${role} write ${res.body}`).toBe(expected[role].write);
    const ok = expected[role].write < 300;
    const changes = [
      await inject('PATCH', `${base}/leads/rows/${rowId}`, { data: { a: 2 }, merge: true }),
      await h.app.inject({
        method: 'POST',
        url: `${base}/leads/csv`,
        headers: { ...as, 'content-type': 'text/csv' },
        payload: 'a\n3\n',
      }),
    ];
    for (const res of changes)
      expect(res.statusCode, `${role} change ${res.body}`).toBe(ok ? 200 : expected[role].write);
    // Unknown bots answer like strangers' bots.
    const unknown = await inject('GET', `/v1/bots/${crypto.randomUUID()}/tables`);
    expect(unknown.statusCode).toBe(role === 'anonymous' ? 401 : 404);
  });

  it('people who may only talk to the bot still write its tables through its script', async () => {
    expect(await talks(botId, headers.orgReader)).toEqual(['saved']);
    expect(await rowsOf(botId, 'visitors')).toEqual([{ key: 'v@x.io', data: { email: 'v@x.io' } }]);
  });
});
