import {
  type ActorContext,
  createDatabase,
  type DatabaseClient,
  type Transaction,
  withActor,
  withoutActor,
} from '@conduit/db';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multipart, startWorkspaceHarness, type WorkspaceHarness } from '../fixtures/workspace-harness.js';

/** Every table that holds a user's (or team's) rows. */
const USER_OWNED = [
  'user_preferences',
  'theme_settings',
  'customization_preferences',
  'encrypted_chats',
  'media',
  'projects',
  'project_chats',
  'project_files',
  'tombstones',
];

let h: WorkspaceHarness;
/** The connection the workspace really uses: its runtime role, under row-level security. */
let runtime: DatabaseClient;
const team = '0190c2d4-8e43-7b1a-9a4f-00000000bbbb';
type Minted = Awaited<ReturnType<WorkspaceHarness['tokens']['mint']>>;
let alice: Minted;
let bob: Minted;

async function fill(user: Minted, teamId?: string) {
  const call = (method: 'POST' | 'PUT' | 'DELETE', url: string, payload?: Record<string, unknown>) =>
    h.app.inject(
      payload === undefined
        ? { method, url, headers: user.headers }
        : { method, url, headers: user.headers, payload },
    );
  await call('PUT', '/v1/workspace/preferences', { preferredModel: 'gpt-test', systemPrompt: 'Be brief.' });
  await call('PUT', '/v1/workspace/theme', { mode: 'dark' });
  await call('PUT', '/v1/workspace/customization', { compactMode: true });
  const chat = (
    await call('POST', '/v1/workspace/chats', {
      keyId: 'k',
      nonce: Buffer.alloc(12).toString('base64'),
      ciphertext: Buffer.alloc(32, 7).toString('base64'),
    })
  ).json();
  const upload = multipart(
    { name: 'a.txt', contentType: 'text/plain', bytes: Buffer.from('hello') },
    teamId ? { teamId } : {},
  );
  const file = (
    await h.app.inject({
      method: 'POST',
      url: '/v1/media',
      headers: { ...user.headers, ...upload.headers },
      payload: upload.payload,
    })
  ).json();
  const project = (
    await call('POST', '/v1/workspace/projects', { name: 'p', ...(teamId && { teamId }) })
  ).json();
  if (!teamId) await call('POST', `/v1/workspace/projects/${project.id}/chats`, { encryptedChatId: chat.id });
  await call('POST', `/v1/workspace/projects/${project.id}/files`, { mediaId: file.id });
  const doomed = (await call('POST', '/v1/workspace/projects', { name: 'doomed' })).json();
  await call('DELETE', `/v1/workspace/projects/${doomed.id}`);
}

beforeAll(async () => {
  h = await startWorkspaceHarness();
  runtime = createDatabase(h.database.appUrl, { max: 2 });
  alice = await h.tokens.mint({ teams: { [team]: 'member' } });
  bob = await h.tokens.mint();
  await fill(alice);
  await fill(bob);
  await fill(alice, team);
});
afterAll(async () => {
  await runtime?.close();
  await h?.close();
});

const countAs = async (actor: ActorContext | null, table: string, where = sql``) => {
  const query = sql`select count(*)::int as n from ${sql.identifier('workspace')}.${sql.identifier(table)} ${where}`;
  const run = (tx: Transaction) => tx.execute<{ n: number }>(query);
  const rows = actor ? await withActor(runtime.db, actor, run) : await withoutActor(runtime.db, run);
  return rows[0]!.n;
};
const ownerColumn = (table: string) =>
  table.endsWith('_preferences') || table === 'theme_settings' ? 'user_id' : 'owner_user_id';

describe('the runtime role', () => {
  it('is workspace_app: no superuser, no BYPASSRLS, owns nothing in the schema', async () => {
    const [role] =
      await runtime.sql`select rolname, rolsuper, rolbypassrls from pg_roles where rolname = current_user`;
    expect(role).toEqual({ rolname: 'workspace_app', rolsuper: false, rolbypassrls: false });
    const owned = await runtime.sql`
      select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'workspace' and c.relowner = (select oid from pg_roles where rolname = current_user)`;
    expect(owned).toEqual([]);
    await expect(
      runtime.sql`alter table workspace.encrypted_chats no force row level security`,
    ).rejects.toMatchObject({
      code: '42501',
    });
  });
});

describe('row-level security', () => {
  it('is enabled and forced on every user-owned table, each with a policy', async () => {
    const tables = await h.admin<
      { relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean; policies: number }[]
    >`
      select c.relname, c.relrowsecurity, c.relforcerowsecurity,
             (select count(*)::int from pg_policies p where p.schemaname = 'workspace' and p.tablename = c.relname) as policies
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'workspace' and c.relname in ${h.admin([...USER_OWNED, 'object_deletions'])} order by c.relname`;
    expect(tables.map((t) => t.relname)).toEqual([...USER_OWNED, 'object_deletions'].sort());
    for (const table of tables) {
      expect(table, table.relname).toMatchObject({ relrowsecurity: true, relforcerowsecurity: true });
      expect(table.policies, table.relname).toBeGreaterThan(0);
    }
  });

  it('covers every table with a user or owner column (a new table cannot be forgotten)', async () => {
    const unprotected = await h.admin`
      select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'workspace' and c.relkind = 'r'
        and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname in ('user_id', 'owner_user_id') and not a.attisdropped)
        and not (c.relrowsecurity and c.relforcerowsecurity)`;
    expect(unprotected).toEqual([]);
  });

  it('shows no rows at all without an actor, though the tables are not empty', async () => {
    for (const table of USER_OWNED) {
      const [all] = await h.admin`select count(*)::int as n from ${h.admin('workspace')}.${h.admin(table)}`;
      expect(all!.n, `${table} as owner`).toBeGreaterThan(0);
      expect(await countAs(null, table), `${table} without actor`).toBe(0);
    }
  });

  it("shows A none of B's rows and B all of them", async () => {
    for (const table of USER_OWNED) {
      const ofBob = sql`where ${sql.identifier(ownerColumn(table))} = ${bob.userId}`;
      const [total] =
        await h.admin`select count(*)::int as n from ${h.admin('workspace')}.${h.admin(table)} where ${h.admin(ownerColumn(table))} = ${bob.userId}`;
      expect(total!.n, table).toBeGreaterThan(0);
      expect(
        await countAs({ userId: alice.userId, teamIds: [team] }, table, ofBob),
        `${table}: B's rows as A`,
      ).toBe(0);
      expect(await countAs({ userId: bob.userId }, table, ofBob), `${table}: B's rows as B`).toBe(total!.n);
    }
  });

  it("shows a team's rows to its members only, and lets a viewer change none of them", async () => {
    const teamRows = sql`where team_id = ${team}`;
    const carol = crypto.randomUUID();
    for (const table of ['media', 'projects', 'project_files']) {
      expect(await countAs({ userId: carol, teamIds: [team] }, table, teamRows), table).toBeGreaterThan(0);
      expect(await countAs({ userId: carol }, table, teamRows), table).toBe(0);
    }
    const asViewer = { userId: carol, teamIds: [team], writableTeamIds: [] };
    const changed = await withActor(runtime.db, asViewer, async (tx) => [
      ...(await tx.execute(
        sql`update workspace.projects set name = 'viewer was here' where team_id = ${team} returning id`,
      )),
      ...(await tx.execute(sql`delete from workspace.project_files where team_id = ${team} returning id`)),
      ...(await tx.execute(
        sql`update workspace.media set public = true where team_id = ${team} returning id`,
      )),
    ]);
    expect(changed).toEqual([]);
    const asMember = { userId: carol, teamIds: [team], writableTeamIds: [team] };
    const renamed = await withActor(runtime.db, asMember, (tx) =>
      tx.execute(
        sql`update workspace.projects set name = 'member renamed' where team_id = ${team} returning id`,
      ),
    );
    expect(renamed.length).toBeGreaterThan(0);
  });

  it("decides a team's rows by the caller's role today, not by who created them", async () => {
    const teamRows = sql`where team_id = ${team}`;
    // Alice made them as a member; out of the team she sees none, demoted to viewer she changes none.
    for (const table of ['media', 'projects', 'project_files'])
      expect(await countAs({ userId: alice.userId }, table, teamRows), table).toBe(0);
    const demoted = { userId: alice.userId, teamIds: [team], writableTeamIds: [] };
    const changed = await withActor(runtime.db, demoted, async (tx) => [
      ...(await tx.execute(
        sql`update workspace.projects set name = 'mine still?' where team_id = ${team} returning id`,
      )),
      ...(await tx.execute(sql`delete from workspace.media where team_id = ${team} returning id`)),
    ]);
    expect(changed).toEqual([]);
    // Nor can anyone put a row of their own into a team they are not in.
    await expect(
      withActor(runtime.db, { userId: bob.userId }, (tx) =>
        tx.execute(sql`insert into workspace.projects (id, owner_user_id, team_id, name)
          values (${crypto.randomUUID()}, ${bob.userId}, ${team}, 'planted')`),
      ),
    ).rejects.toMatchObject({ cause: { code: '42501' } });

    // The API says the same to Alice's later tokens.
    const [project] = await h.admin<{ id: string }[]>`
      select id from workspace.projects where team_id = ${team} and owner_user_id = ${alice.userId} limit 1`;
    const asViewer = await h.tokens.mint({ userId: alice.userId, teams: { [team]: 'viewer' } });
    const outside = await h.tokens.mint({ userId: alice.userId });
    const url = `/v1/workspace/projects/${project!.id}`;
    expect((await h.app.inject({ method: 'GET', url, headers: asViewer.headers })).statusCode).toBe(200);
    const renamed = await h.app.inject({
      method: 'PATCH',
      url,
      headers: asViewer.headers,
      payload: { name: 'x' },
    });
    expect(renamed.statusCode).toBe(403);
    expect((await h.app.inject({ method: 'GET', url, headers: outside.headers })).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'DELETE', url, headers: outside.headers })).statusCode).toBe(404);
  });

  it("lets A change none of B's rows, nor write rows as B", async () => {
    const changed = await withActor(runtime.db, { userId: alice.userId }, async (tx) => [
      ...(await tx.execute(
        sql`update workspace.encrypted_chats set key_id = 'pwned' where owner_user_id = ${bob.userId} returning id`,
      )),
      ...(await tx.execute(
        sql`delete from workspace.media where owner_user_id = ${bob.userId} returning id`,
      )),
      ...(await tx.execute(
        sql`update workspace.user_preferences set system_prompt = 'pwned' where user_id = ${bob.userId} returning user_id`,
      )),
      ...(await tx.execute(
        sql`delete from workspace.tombstones where owner_user_id = ${bob.userId} returning entity_id`,
      )),
    ]);
    expect(changed).toEqual([]);
    for (const statement of [
      sql`insert into workspace.projects (id, owner_user_id, name) values (gen_random_uuid(), ${bob.userId}, 'planted')`,
      sql`insert into workspace.theme_settings (user_id) values (${crypto.randomUUID()})`,
      sql`insert into workspace.projects (id, owner_user_id, team_id, name) values (gen_random_uuid(), ${bob.userId}, ${crypto.randomUUID()}, 'planted')`,
    ])
      await expect(
        withActor(runtime.db, { userId: alice.userId }, (tx) => tx.execute(statement)),
      ).rejects.toMatchObject({
        cause: { code: '42501' },
      });
  });

  it('shows public files without an actor, and nothing else of the media table', async () => {
    const [file] = await h.admin`select id from workspace.media where owner_user_id = ${bob.userId} limit 1`;
    await h.admin`update workspace.media set public = true where id = ${file!.id}`;
    expect(await countAs(null, 'media')).toBe(1);
    await h.admin`update workspace.media set public = false where id = ${file!.id}`;
    expect(await countAs(null, 'media')).toBe(0);
  });
});
