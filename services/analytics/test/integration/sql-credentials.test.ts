import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchesVerifier } from '../../src/domain/metrics/sql-credentials/scram-verifier.js';
import { type AnalyticsHarness, bearer, startAnalyticsHarness } from '../fixtures/analytics-harness.js';

// A BI tool's login, driven with the real psql binary: it sees its team's rows and no one else's
// (even when it sets the service's app.* settings itself), cannot write, holds at most its
// connection limit, and is refused once revoked.
const PSQL = '/usr/bin/psql';
let h: AnalyticsHarness;
const orgId = randomUUID();
const teamA = randomUUID();
const teamB = randomUUID();
type Who = 'owner' | 'admin' | 'member' | 'viewer' | 'stranger' | 'ownerB';
const people = {} as Record<Who, { token: string; userId: string }>;
const made: string[] = [];

interface PsqlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function psqlArgs(login: { username: string; database: string; host: string; port: number }) {
  return [
    '-X',
    '-v',
    'ON_ERROR_STOP=1',
    '-tA',
    '-h',
    login.host,
    '-p',
    String(login.port),
    '-U',
    login.username,
    '-d',
    login.database,
  ];
}

function startPsql(login: Login, command: string): { child: ChildProcess; done: Promise<PsqlResult> } {
  const child = spawn(PSQL, [...psqlArgs(login), '-c', command], {
    env: { ...process.env, PGPASSWORD: login.password, PGCONNECT_TIMEOUT: '10' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const done = new Promise<PsqlResult>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout: stdout.trim(), stderr: stderr.trim() })),
  );
  return { child, done };
}

const psql = (login: Login, command: string) => startPsql(login, command).done;

interface Login {
  id: string;
  username: string;
  password: string;
  host: string;
  port: number;
  database: string;
}

async function createCredential(who: Who, teamId: string, connectionLimit?: number) {
  const res = await h.app.inject({
    method: 'POST',
    url: '/v1/metrics/sql-credentials',
    headers: bearer(people[who].token),
    payload: { teamId, name: 'Metabase', ...(connectionLimit ? { connectionLimit } : {}) },
  });
  if (res.statusCode === 201) made.push(res.json().username);
  return res;
}

async function sessionsOf(username: string) {
  const [row] = await h.admin`select count(*)::int as n from pg_stat_activity where usename = ${username}`;
  return Number(row!.n);
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function recordClicks(who: Who, teamId: string, count: number) {
  const res = await h.app.inject({
    method: 'POST',
    url: '/v1/analytics/events',
    headers: bearer(people[who].token),
    payload: {
      events: Array.from({ length: count }, () => ({
        idempotencyKey: randomUUID(),
        type: 'click',
        occurredAt: new Date().toISOString(),
        teamId,
      })),
    },
  });
  expect(res.json().recorded).toBe(count);
}

beforeAll(async () => {
  h = await startAnalyticsHarness({ worker: false });
  const claims: Record<Who, Parameters<typeof h.tokens.mint>[0]> = {
    owner: { orgId, teams: { [teamA]: 'owner' } },
    admin: { orgId, teams: { [teamA]: 'admin' } },
    member: { orgId, teams: { [teamA]: 'member' } },
    viewer: { orgId, teams: { [teamA]: 'viewer' } },
    stranger: { orgId: randomUUID(), teams: { [randomUUID()]: 'owner' } },
    ownerB: { orgId, teams: { [teamB]: 'owner' } },
  };
  for (const [who, claim] of Object.entries(claims)) people[who as Who] = await h.tokens.mint(claim);
  await recordClicks('owner', teamA, 2);
  await recordClicks('ownerB', teamB, 3);
}, 60_000);

afterAll(async () => {
  // Roles belong to the cluster, not the test's database: none is left behind.
  for (const username of made) {
    await h.admin`select pg_terminate_backend(pid) from pg_stat_activity where usename = ${username}`;
    await h.admin.unsafe(`drop role if exists ${username}`).catch(() => {});
  }
  await h?.close();
});

describe('SQL credentials', () => {
  it('shows the password once, keeps only the SCRAM verifier in Postgres, and lists without it', async () => {
    const res = await createCredential('owner', teamA);
    expect(res.statusCode).toBe(201);
    const created = res.json() as Login & { connectionLimit: number; teamId: string };
    expect(created.username).toMatch(/^bi_[0-9a-f]{20}$/);
    expect(created.password.length).toBeGreaterThanOrEqual(32);
    expect(created.connectionLimit).toBe(5);
    const [role] = await h.admin`
      select rolpassword, rolconnlimit, rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolbypassrls
      from pg_authid where rolname = ${created.username}`;
    expect(role).toMatchObject({
      rolconnlimit: 5,
      rolcanlogin: true,
      rolsuper: false,
      rolcreatedb: false,
      rolcreaterole: false,
      rolbypassrls: false,
    });
    expect(matchesVerifier(created.password, role!.rolpassword)).toBe(true);
    expect(matchesVerifier(`${created.password}x`, role!.rolpassword)).toBe(false);
    const [stored] =
      await h.admin`select to_jsonb(c)::text as row from analytics.sql_credentials c where id = ${created.id}`;
    expect(stored!.row).not.toContain(created.password);

    for (const who of ['member', 'viewer', 'admin'] as const) {
      const list = await h.app.inject({
        method: 'GET',
        url: `/v1/metrics/sql-credentials?teamId=${teamA}`,
        headers: bearer(people[who].token),
      });
      expect(list.statusCode).toBe(200);
      expect(list.json().items.map((c: { id: string }) => c.id)).toContain(created.id);
      expect(list.body).not.toContain(created.password);
      expect(list.body).not.toContain('password');
      const one = await h.app.inject({
        method: 'GET',
        url: `/v1/metrics/sql-credentials/${created.id}`,
        headers: bearer(people[who].token),
      });
      expect(one.statusCode).toBe(200);
      expect(one.body).not.toContain('password');
    }
  });

  it('refuses members and viewers (403), strangers (404 as for an unknown id) and anonymous callers (401)', async () => {
    expect((await createCredential('member', teamA)).statusCode).toBe(403);
    expect((await createCredential('viewer', teamA)).statusCode).toBe(403);
    expect((await createCredential('stranger', teamA)).statusCode).toBe(404);
    const anonymous = await h.app.inject({
      method: 'POST',
      url: '/v1/metrics/sql-credentials',
      payload: { teamId: teamA, name: 'x' },
    });
    expect(anonymous.statusCode).toBe(401);
    const { id } = (await createCredential('admin', teamA)).json();
    for (const [who, status] of [
      ['stranger', 404],
      ['ownerB', 404],
      ['member', 403],
    ] as const) {
      const seen = await h.app.inject({
        method: 'GET',
        url: `/v1/metrics/sql-credentials/${id}`,
        headers: bearer(people[who].token),
      });
      expect(seen.statusCode).toBe(who === 'member' ? 200 : 404);
      const revoke = await h.app.inject({
        method: 'DELETE',
        url: `/v1/metrics/sql-credentials/${id}`,
        headers: bearer(people[who].token),
      });
      expect(revoke.statusCode).toBe(status);
    }
    // Its team's admin revokes it (a team holds at most five logins; the later tests make more).
    const revoked = await h.app.inject({
      method: 'DELETE',
      url: `/v1/metrics/sql-credentials/${id}`,
      headers: bearer(people.admin.token),
    });
    expect(revoked.statusCode).toBe(204);
    const unknown = await h.app.inject({
      method: 'DELETE',
      url: `/v1/metrics/sql-credentials/${randomUUID()}`,
      headers: bearer(people.owner.token),
    });
    expect(unknown.statusCode).toBe(404);
    const list = await h.app.inject({
      method: 'GET',
      url: `/v1/metrics/sql-credentials?teamId=${teamA}`,
      headers: bearer(people.stranger.token),
    });
    expect(list.statusCode).toBe(404);
  });

  it("sees its team's rows and no one else's, even with the service's settings set by hand", async () => {
    const login = (await createCredential('owner', teamA)).json() as Login;
    const events = await psql(login, 'select count(*) from analytics.team_events');
    expect(events).toMatchObject({ code: 0, stdout: '2' });
    const direct = await psql(
      login,
      'select count(*), count(*) filter (where team_id <> $$' + teamA + '$$) from analytics.user_analytics',
    );
    expect(direct.stdout).toBe('2|0');
    const counters = await psql(
      login,
      "select coalesce(sum(value), 0) from analytics.team_counters where metric = 'events'",
    );
    expect(counters.code).toBe(0);
    // The other team's rows stay hidden when the session claims to be someone else.
    const spoofed = await psql(
      login,
      `select set_config('app.team_ids', '${teamB}', false), set_config('app.managed_team_ids', '${teamB}', false),
              set_config('app.user_id', '${people.ownerB.userId}', false), set_config('app.platform_admin', 'true', false);
       select count(*) from analytics.user_analytics;`,
    );
    expect(spoofed.code).toBe(0);
    expect(spoofed.stdout.split('\n').at(-1)).toBe('2');
    const others = await psql(login, 'select count(*) from analytics.sql_credentials');
    expect(others.stdout).toBe('1');
    const otherTeam = (await createCredential('ownerB', teamB)).json() as Login;
    expect((await psql(otherTeam, 'select count(*) from analytics.team_events')).stdout).toBe('3');
    // The service's own tables are not there for it at all.
    const reports = await psql(login, 'select count(*) from analytics.reports');
    expect(reports.code).not.toBe(0);
    expect(reports.stderr).toContain('permission denied');
  });

  it('cannot write: insert, update, create table all fail, with or without a read-write transaction', async () => {
    const login = (await createCredential('owner', teamA)).json() as Login;
    const attempts = [
      `insert into analytics.user_analytics (id, event_type, source, occurred_at, team_id) values (gen_random_uuid(), 'x', 'client', now(), '${teamA}')`,
      `begin read write; insert into analytics.user_analytics (id, event_type, source, occurred_at, team_id) values (gen_random_uuid(), 'x', 'client', now(), '${teamA}'); commit`,
      `begin read write; update analytics.sql_credentials set team_id = '${teamB}'; commit`,
      'begin read write; delete from analytics.user_analytics; commit',
      'create table analytics.mine (a int)',
      'begin read write; create table analytics.mine (a int); commit',
      'begin read write; create table public.mine (a int); commit',
      'begin read write; create schema mine; commit',
      // No temporary tables either, whatever the session sets (0011).
      'create temp table mine (a int)',
      'set default_transaction_read_only = off; begin read write; create temp table mine (a int); commit',
      // The service's own SECURITY DEFINER set-up, with the settings it checks set by hand.
      `begin read write; select set_config('app.user_id', '${people.owner.userId}', true),
         set_config('app.team_ids', '${teamB}', true);
       select analytics.ensure_conduit_metrics('${teamB}', gen_random_uuid(), gen_random_uuid(), 'x', 'x', '{}'); commit`,
    ];
    for (const attempt of attempts) {
      const result = await psql(login, attempt);
      expect(result.code, attempt).not.toBe(0);
      expect(result.stderr, attempt).toMatch(/permission denied|read-only transaction/);
    }
    const [count] = await h.admin`select count(*)::int as n from analytics.user_analytics`;
    expect(count!.n).toBe(5);
    const [sources] =
      await h.admin`select count(*)::int as n from analytics.datasources where team_id = ${teamB}`;
    expect(sources!.n).toBe(0);
  });

  it('holds at most 5 connections, and a team at most 5 logins (409 beyond, nothing made)', async () => {
    expect((await createCredential('ownerB', teamB, 6)).statusCode).toBe(400);
    const held = Number(
      (await h.admin`select count(*)::int as n from analytics.sql_credentials where team_id = ${teamB}`)[0]!
        .n,
    );
    for (let i = held; i < 5; i++) expect((await createCredential('ownerB', teamB, 5)).statusCode).toBe(201);
    const roles = async () =>
      Number((await h.admin`select count(*)::int as n from pg_roles where rolname like 'bi\_%'`)[0]!.n);
    const before = await roles();
    const refused = await createCredential('ownerB', teamB);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().detail).toContain('at most 5 SQL credentials');
    expect(await roles()).toBe(before);
  });

  it('holds at most its connection limit', async () => {
    const login = (await createCredential('owner', teamA, 1)).json() as Login;
    const first = startPsql(login, 'select pg_sleep(20)');
    await waitFor(async () => (await sessionsOf(login.username)) === 1, 'the first session');
    const second = await psql(login, 'select 1');
    expect(second.code).not.toBe(0);
    expect(second.stderr).toContain('too many connections for role');
    first.child.kill('SIGINT');
    await first.done;
  });

  it('is refused after revoke: its open session is ended and the role is gone', async () => {
    const login = (await createCredential('owner', teamA)).json() as Login;
    const open = startPsql(login, 'select pg_sleep(60)');
    await waitFor(async () => (await sessionsOf(login.username)) === 1, 'the open session');
    const revoke = await h.app.inject({
      method: 'DELETE',
      url: `/v1/metrics/sql-credentials/${login.id}`,
      headers: bearer(people.admin.token),
    });
    expect(revoke.statusCode).toBe(204);
    const ended = await open.done;
    expect(ended.code).not.toBe(0);
    expect(ended.stderr).toMatch(/terminat/);
    const after = await psql(login, 'select 1');
    expect(after.code).not.toBe(0);
    expect(after.stderr).toContain(`role "${login.username}" does not exist`);
    const [role] = await h.admin`select count(*)::int as n from pg_roles where rolname = ${login.username}`;
    expect(role!.n).toBe(0);
    const again = await h.app.inject({
      method: 'GET',
      url: `/v1/metrics/sql-credentials/${login.id}`,
      headers: bearer(people.owner.token),
    });
    expect(again.statusCode).toBe(404);
  });
});
