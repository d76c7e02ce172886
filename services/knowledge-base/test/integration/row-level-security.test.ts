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
import {
  addText,
  bearer,
  createCollection,
  type KnowledgeHarness,
  startKnowledgeHarness,
  waitForDocument,
} from '../fixtures/knowledge-harness.js';

/** Every table that holds a user's (or team's) rows. */
const USER_OWNED = [
  'kb_collections',
  'knowledge_base_settings',
  'datasources',
  'kb_documents',
  'kb_document_originals',
  'kb_chunks',
  'kb_terms',
  'user_kb_associations',
];

let h: KnowledgeHarness;
/** The connection knowledge-base really uses: its runtime role, under row-level security. */
let runtime: DatabaseClient;
let alice: { token: string; userId: string };
let bob: { token: string; userId: string };
const team = '0190c2d4-8e43-7b1a-9a4f-00000000aaaa';

beforeAll(async () => {
  h = await startKnowledgeHarness();
  runtime = createDatabase(h.database.appUrl, { max: 2 });
  alice = await h.tokens.mint({ teams: { [team]: 'member' } });
  bob = await h.tokens.mint();
  for (const [user, name] of [
    [alice, 'alice private'],
    [bob, 'bob private'],
  ] as const) {
    const collection = await createCollection(h, user.token, { name });
    const document = await addText(h, user.token, collection.id, {
      name: `${name} doc`,
      text: `secret notes of ${name}`,
    });
    await waitForDocument(h, user.token, collection.id, document.id);
    await h.app.inject({
      method: 'PUT',
      url: `/v1/kb/sessions/${h.sessions.start(user.userId)}/collections/${collection.id}`,
      headers: bearer(user.token),
    });
  }
  const teamCollection = await createCollection(h, alice.token, { name: 'team kb', teamId: team });
  const teamDocument = await addText(h, alice.token, teamCollection.id, {
    name: 'team doc',
    text: 'notes the whole team reads',
  });
  await waitForDocument(h, alice.token, teamCollection.id, teamDocument.id);
}, 60_000);
afterAll(async () => {
  await runtime?.close();
  await h?.close();
}, 30_000);

const countAs = async (actor: ActorContext | null, table: string, where = sql``) => {
  const query = sql`select count(*)::int as n from ${sql.identifier('knowledge')}.${sql.identifier(table)} ${where}`;
  const run = (tx: Transaction) => tx.execute<{ n: number }>(query);
  const rows = actor ? await withActor(runtime.db, actor, run) : await withoutActor(runtime.db, run);
  return rows[0]!.n;
};

describe('the runtime role', () => {
  it('is knowledge_app: no superuser, no BYPASSRLS, owns nothing in the schema', async () => {
    const [role] =
      await runtime.sql`select rolname, rolsuper, rolbypassrls from pg_roles where rolname = current_user`;
    expect(role).toEqual({ rolname: 'knowledge_app', rolsuper: false, rolbypassrls: false });
    const owned = await runtime.sql`
      select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'knowledge' and c.relowner = (select oid from pg_roles where rolname = current_user)`;
    expect(owned).toEqual([]);
    await expect(
      runtime.sql`alter table knowledge.kb_chunks no force row level security`,
    ).rejects.toMatchObject({ code: '42501' });
  });
});

describe('row-level security', () => {
  it('is enabled and forced on every user-owned table, each with a policy', async () => {
    const tables = await h.admin<
      { relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean; policies: number }[]
    >`
      select c.relname, c.relrowsecurity, c.relforcerowsecurity,
             (select count(*)::int from pg_policies p where p.schemaname = 'knowledge' and p.tablename = c.relname) as policies
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'knowledge' and c.relname in ${h.admin(USER_OWNED)} order by c.relname`;
    expect(tables.map((t) => t.relname)).toEqual([...USER_OWNED].sort());
    for (const table of tables) {
      expect(table, table.relname).toMatchObject({ relrowsecurity: true, relforcerowsecurity: true });
      expect(table.policies, table.relname).toBeGreaterThan(0);
    }
  });

  it('covers every table with a collection_id or user_id column (a new table cannot be forgotten)', async () => {
    const unprotected = await h.admin`
      select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'knowledge' and c.relkind = 'r'
        and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname in ('user_id', 'collection_id', 'owner_user_id') and not a.attisdropped)
        and not (c.relrowsecurity and c.relforcerowsecurity)`;
    expect(unprotected).toEqual([]);
  });

  it('shows no rows at all without an actor, though the tables are not empty', async () => {
    for (const table of USER_OWNED) {
      const [all] = await h.admin`select count(*)::int as n from ${h.admin('knowledge')}.${h.admin(table)}`;
      expect(all!.n, `${table} as owner`).toBeGreaterThan(0);
      expect(await countAs(null, table), `${table} without actor`).toBe(0);
    }
    expect(await runtime.sql`select * from knowledge.kb_chunks`).toHaveLength(0);
  });

  it("shows A only A's rows (and their team's), never B's", async () => {
    const [bobCollection] =
      await h.admin`select id from knowledge.kb_collections where owner_user_id = ${bob.userId}`;
    const ofBob = sql`where collection_id = ${bobCollection!.id}`;
    for (const table of USER_OWNED.filter((t) => t !== 'kb_collections')) {
      const [total] =
        await h.admin`select count(*)::int as n from ${h.admin('knowledge')}.${h.admin(table)} where collection_id = ${bobCollection!.id}`;
      expect(total!.n, table).toBeGreaterThan(0);
      expect(
        await countAs({ userId: alice.userId, teamIds: [team] }, table, ofBob),
        `${table}: B's rows as A`,
      ).toBe(0);
      expect(await countAs({ userId: bob.userId }, table, ofBob), `${table}: B's rows as B`).toBe(total!.n);
    }
    const names = await withActor(runtime.db, { userId: alice.userId, teamIds: [team] }, (tx) =>
      tx.execute<{ name: string }>(sql`select name from knowledge.kb_collections order by name`),
    );
    expect(names.map((r) => r.name)).toEqual(['alice private', 'team kb']);
    // A team member who is not the owner sees the team collection only while in the team.
    const carol = { userId: crypto.randomUUID() };
    expect(await countAs({ ...carol, teamIds: [team] }, 'kb_collections')).toBe(1);
    expect(await countAs(carol, 'kb_collections')).toBe(0);
    expect(await countAs({ ...carol, platformAdmin: true }, 'kb_collections')).toBe(3);
  });

  it("lets A change none of B's rows, nor write rows into B's collection", async () => {
    const [bobCollection] =
      await h.admin`select id from knowledge.kb_collections where owner_user_id = ${bob.userId}`;
    const [bobDocument] =
      await h.admin`select id from knowledge.kb_documents where collection_id = ${bobCollection!.id}`;
    const changed = await withActor(runtime.db, { userId: alice.userId }, async (tx) => [
      ...(await tx.execute(
        sql`update knowledge.kb_collections set name = 'pwned' where id = ${bobCollection!.id} returning id`,
      )),
      ...(await tx.execute(
        sql`delete from knowledge.kb_chunks where collection_id = ${bobCollection!.id} returning id`,
      )),
      ...(await tx.execute(
        sql`update knowledge.kb_documents set name = 'pwned' where collection_id = ${bobCollection!.id} returning id`,
      )),
      ...(await tx.execute(
        sql`delete from knowledge.kb_terms where collection_id = ${bobCollection!.id} returning lexeme`,
      )),
    ]);
    expect(changed).toEqual([]);
    await expect(
      withActor(runtime.db, { userId: alice.userId }, (tx) =>
        tx.execute(sql`insert into knowledge.datasources (id, collection_id, kind, created_by)
                       values (gen_random_uuid(), ${bobCollection!.id}, 'inline', ${alice.userId})`),
      ),
    ).rejects.toMatchObject({ cause: { code: '42501' } });
    await expect(
      withActor(runtime.db, { userId: alice.userId }, (tx) =>
        tx.execute(sql`insert into knowledge.kb_terms (collection_id, lexeme, document_id, name_tf, lead_tf, body_tf,
                         name_terms, lead_terms, body_terms)
                       values (${bobCollection!.id}, 'planted', ${bobDocument!.id}, 1, 1, 1, 1, 1, 1)`),
      ),
    ).rejects.toMatchObject({ cause: { code: '42501' } });
    await expect(
      withActor(runtime.db, { userId: alice.userId }, (tx) =>
        tx.execute(sql`insert into knowledge.user_kb_associations (id, session_id, user_id, collection_id)
                       values (gen_random_uuid(), gen_random_uuid(), ${alice.userId}, ${bobCollection!.id})`),
      ),
    ).rejects.toMatchObject({ cause: { code: '42501' } });
  });

  it("keeps A from pairing A's collection with B's document (composite foreign keys)", async () => {
    const [aliceCollection] =
      await h.admin`select id from knowledge.kb_collections where owner_user_id = ${alice.userId} and team_id is null`;
    const [bobDocument] = await h.admin`select d.id from knowledge.kb_documents d
      join knowledge.kb_collections c on c.id = d.collection_id where c.owner_user_id = ${bob.userId}`;
    const plant = (statement: ReturnType<typeof sql>) =>
      withActor(runtime.db, { userId: alice.userId }, (tx) => tx.execute(statement));
    // Row-level security lets A write into A's own collection; the document must be in it too.
    // (An original's key is its document: B's document has one already.)
    for (const statement of [
      sql`insert into knowledge.kb_terms (collection_id, lexeme, document_id, name_tf, lead_tf, body_tf,
                                          name_terms, lead_terms, body_terms)
          values (${aliceCollection!.id}, 'planted', ${bobDocument!.id}, 1, 1, 1, 1, 1, 1)`,
      sql`insert into knowledge.kb_chunks (id, collection_id, document_id, ordinal, content, char_start, char_end,
                                           token_count, tsv, embedding)
          values (gen_random_uuid(), ${aliceCollection!.id}, ${bobDocument!.id}, 99, 'planted', 0, 7, 1,
                  to_tsvector('planted'), '{1}')`,
    ])
      await expect(plant(statement)).rejects.toMatchObject({ cause: { code: '23503' } });
  });

  it('lets a team viewer read the team collection and change nothing in it; a member may', async () => {
    const [teamCollection] = await h.admin`select id from knowledge.kb_collections where team_id = ${team}`;
    const inTeam = sql`where collection_id = ${teamCollection!.id}`;
    const viewer: ActorContext = { userId: crypto.randomUUID(), teamIds: [team], writableTeamIds: [] };
    const member: ActorContext = { ...viewer, writableTeamIds: [team] };
    for (const table of USER_OWNED.filter((t) => !['kb_collections', 'user_kb_associations'].includes(t)))
      expect(await countAs(viewer, table, inTeam), `${table} as viewer`).toBeGreaterThan(0);

    const changes = (tx: Transaction) =>
      Promise.all([
        tx.execute(
          sql`update knowledge.kb_collections set description = 'edited' where id = ${teamCollection!.id} returning id`,
        ),
        tx.execute(
          sql`update knowledge.knowledge_base_settings set chunk_size = chunk_size ${inTeam} returning collection_id`,
        ),
        tx.execute(sql`update knowledge.kb_documents set name = name ${inTeam} returning id`),
        tx.execute(sql`delete from knowledge.kb_terms ${inTeam} returning lexeme`),
        tx.execute(sql`delete from knowledge.kb_chunks ${inTeam} returning id`),
        tx.execute(sql`delete from knowledge.kb_document_originals ${inTeam} returning document_id`),
      ]);
    const asViewer = await withActor(runtime.db, viewer, changes);
    expect(asViewer.map((rows) => rows.length)).toEqual([0, 0, 0, 0, 0, 0]);
    await expect(
      withActor(runtime.db, viewer, (tx) =>
        tx.execute(sql`insert into knowledge.datasources (id, collection_id, kind, created_by)
                       values (gen_random_uuid(), ${teamCollection!.id}, 'inline', ${viewer.userId})`),
      ),
    ).rejects.toMatchObject({ cause: { code: '42501' } });

    // A member changes them (updates that write the same values, so the other tests' rows stay).
    const asMember = await withActor(runtime.db, member, (tx) =>
      Promise.all([
        tx.execute(
          sql`update knowledge.kb_collections set description = description where id = ${teamCollection!.id} returning id`,
        ),
        tx.execute(sql`update knowledge.kb_documents set name = name ${inTeam} returning id`),
        tx.execute(sql`update knowledge.kb_terms set body_tf = body_tf ${inTeam} returning lexeme`),
      ]),
    );
    expect(asMember.map((rows) => rows.length > 0)).toEqual([true, true, true]);
  });
});
