import { createDatabase, type DatabaseClient, withActor, withoutActor } from '@conduit/db';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AuthResult,
  bearer,
  type IdentityHarness,
  loginUser,
  registerUser,
  startIdentityHarness,
} from '../fixtures/identity-harness.js';

/** Every table that holds a user's (or their organization's) rows. */
const USER_OWNED = [
  'organizations',
  'users',
  'user_sessions',
  'refresh_tokens',
  'user_login_tokens',
  'password_resets',
  'user_preferences',
];

let h: IdentityHarness;
/** The connection identity really uses: its runtime role, under row-level security. */
let runtime: DatabaseClient;
let alice: AuthResult & { email: string; password: string };
let bob: AuthResult & { email: string; password: string };

const actorOf = (account: AuthResult) => ({ userId: account.user.id, orgId: account.user.organizationId });

beforeAll(async () => {
  h = await startIdentityHarness();
  runtime = createDatabase(h.database.appUrl, { max: 2 });
  alice = await registerUser(h);
  bob = await registerUser(h);
  for (const account of [alice, bob]) {
    await loginUser(h, account);
    await h.app.inject({
      method: 'PUT',
      url: '/v1/me/preferences',
      headers: bearer(account.accessToken),
      payload: { preferences: { owner: account.email } },
    });
    await h.app.inject({ method: 'POST', url: '/v1/auth/password-reset', payload: { email: account.email } });
    await h.app.inject({ method: 'POST', url: '/v1/auth/login-token', payload: { email: account.email } });
  }
}, 60_000);
afterAll(async () => {
  await runtime?.close();
  await h?.close();
}, 30_000);

const countAs = async (actor: { userId: string; orgId: string } | null, table: string, where = sql``) => {
  const query = sql`select count(*)::int as n from ${sql.identifier('identity')}.${sql.identifier(table)} ${where}`;
  const run = (tx: Parameters<Parameters<typeof withoutActor>[1]>[0]) => tx.execute<{ n: number }>(query);
  const rows = actor ? await withActor(runtime.db, actor, run) : await withoutActor(runtime.db, run);
  return rows[0]!.n;
};

describe('the runtime role', () => {
  it('is identity_app: no superuser, no BYPASSRLS, member of no other role', async () => {
    const [role] =
      await runtime.sql`select rolname, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb from pg_roles where rolname = current_user`;
    expect(role).toEqual({
      rolname: 'identity_app',
      rolsuper: false,
      rolbypassrls: false,
      rolcreaterole: false,
      rolcreatedb: false,
    });
    const memberships =
      await runtime.sql`select roleid::regrole::text as role from pg_auth_members where member = (select oid from pg_roles where rolname = current_user)`;
    expect(memberships).toEqual([]);
  });

  it('owns no table, sequence, view or function of the identity schema', async () => {
    const owned = await runtime.sql`
      select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'identity' and c.relowner = (select oid from pg_roles where rolname = current_user)
      union all
      select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = 'identity' and p.proowner = (select oid from pg_roles where rolname = current_user)`;
    expect(owned).toEqual([]);
  });

  it('cannot switch row-level security off, or delete signing keys', async () => {
    await expect(runtime.sql`alter table identity.users disable row level security`).rejects.toMatchObject({
      code: '42501',
    });
    await expect(
      runtime.sql`alter table identity.user_sessions no force row level security`,
    ).rejects.toMatchObject({ code: '42501' });
    await expect(runtime.sql`delete from identity.signing_keys`).rejects.toMatchObject({ code: '42501' });
  });
});

describe('row-level security', () => {
  it('is enabled and forced on every user-owned table, each with a policy', async () => {
    const tables = await h.admin<
      { relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean; policies: number }[]
    >`
      select c.relname, c.relrowsecurity, c.relforcerowsecurity,
             (select count(*)::int from pg_policies p where p.schemaname = 'identity' and p.tablename = c.relname) as policies
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'identity' and c.relname in ${h.admin(USER_OWNED)} order by c.relname`;
    expect(tables.map((t) => t.relname)).toEqual([...USER_OWNED].sort());
    for (const table of tables) {
      expect(table, table.relname).toMatchObject({ relrowsecurity: true, relforcerowsecurity: true });
      expect(table.policies, table.relname).toBeGreaterThan(0);
    }
  });

  it('covers every table with a user_id column (a new table cannot be forgotten)', async () => {
    const unprotected = await h.admin`
      select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'identity' and c.relkind = 'r'
        and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'user_id' and not a.attisdropped)
        and not (c.relrowsecurity and c.relforcerowsecurity)`;
    const names = unprotected.map((row) => row.relname as string).sort();
    expect(
      names,
      'identity tables with a user_id column but without enabled and forced row-level security',
    ).toEqual([]);
  });

  it('shows no rows at all without an actor, though the tables are not empty', async () => {
    for (const table of USER_OWNED) {
      const [all] = await h.admin`select count(*)::int as n from ${h.admin('identity')}.${h.admin(table)}`;
      expect(all!.n, `${table} as owner`).toBeGreaterThan(0);
      expect(await countAs(null, table), `${table} without actor`).toBe(0);
    }
    // Nor does a plain query outside any actor transaction.
    expect(await runtime.sql`select * from identity.users`).toHaveLength(0);
    expect(await runtime.sql`select * from identity.user_sessions`).toHaveLength(0);
    expect(await runtime.sql`select * from identity.user_preferences`).toHaveLength(0);
  });

  it("shows user A only A's rows, never B's", async () => {
    const a = actorOf(alice);
    const b = actorOf(bob);
    const owner = (id: string) => sql`where user_id = ${id}`;
    for (const table of [
      'user_sessions',
      'refresh_tokens',
      'user_login_tokens',
      'password_resets',
      'user_preferences',
    ]) {
      const [total] =
        await h.admin`select count(*)::int as n from ${h.admin('identity')}.${h.admin(table)} where user_id = ${alice.user.id}`;
      expect(await countAs(a, table), table).toBe(total!.n);
      expect(await countAs(a, table, owner(bob.user.id)), `${table}: B's rows as A`).toBe(0);
      expect(await countAs(b, table, owner(alice.user.id)), `${table}: A's rows as B`).toBe(0);
    }
    const users = await withActor(runtime.db, a, (tx) =>
      tx.execute<{ id: string }>(sql`select id from identity.users`),
    );
    expect(users.map((row) => row.id)).toEqual([alice.user.id]);

    const preferences = await withActor(runtime.db, a, (tx) =>
      tx.execute<{ preferences: unknown }>(sql`select preferences from identity.user_preferences`),
    );
    expect(preferences.map((row) => row.preferences)).toEqual([{ owner: alice.email }]);
    const sessions = await withActor(runtime.db, a, (tx) =>
      tx.execute<{ user_id: string }>(sql`select user_id from identity.user_sessions`),
    );
    expect(sessions.length).toBeGreaterThanOrEqual(2);
    expect(new Set(sessions.map((row) => row.user_id))).toEqual(new Set([alice.user.id]));
  });

  it("shows user A their own personal organization, never B's", async () => {
    const organizations = await withActor(runtime.db, actorOf(alice), (tx) =>
      tx.execute<{ id: string }>(sql`select id from identity.organizations`),
    );
    expect(organizations.map((row) => row.id)).toEqual([alice.user.organizationId]);
  });

  it("lets user A change or delete none of B's rows, and not write rows in B's name", async () => {
    const a = actorOf(alice);
    const changed = await withActor(runtime.db, a, async (tx) => [
      ...(await tx.execute(
        sql`update identity.user_preferences set preferences = '{"owner":"mallory"}' where user_id = ${bob.user.id} returning id`,
      )),
      ...(await tx.execute(
        sql`update identity.user_sessions set revoked_at = now() where user_id = ${bob.user.id} returning id`,
      )),
      ...(await tx.execute(
        sql`update identity.users set name = 'pwned' where id = ${bob.user.id} returning id`,
      )),
      ...(await tx.execute(
        sql`delete from identity.refresh_tokens where user_id = ${bob.user.id} returning id`,
      )),
    ]);
    expect(changed).toEqual([]);
    const [bobPreferences] =
      await h.admin`select preferences from identity.user_preferences where user_id = ${bob.user.id}`;
    expect(bobPreferences!.preferences).toEqual({ owner: bob.email });
    const [bobLive] =
      await h.admin`select count(*)::int as n from identity.user_sessions where user_id = ${bob.user.id} and revoked_at is null`;
    expect(bobLive!.n).toBeGreaterThanOrEqual(2);

    await expect(
      withActor(runtime.db, a, (tx) =>
        tx.execute(
          sql`insert into identity.user_preferences (id, user_id, preferences) values (gen_random_uuid(), ${bob.user.id}, '{}')`,
        ),
      ),
    ).rejects.toMatchObject({ cause: { code: '42501' } });
    // Moving one's own row over to B is refused too (the policy's WITH CHECK).
    await expect(
      withActor(runtime.db, a, (tx) =>
        tx.execute(
          sql`update identity.user_sessions set user_id = ${bob.user.id} where user_id = ${alice.user.id}`,
        ),
      ),
    ).rejects.toMatchObject({ cause: { code: '42501' } });
  });

  it('does not leak the actor into the next transaction on the same connection', async () => {
    const single = createDatabase(h.database.appUrl, { max: 1 });
    try {
      await withActor(single.db, actorOf(alice), (tx) => tx.execute(sql`select 1`));
      expect(await single.sql`select * from identity.user_sessions`).toHaveLength(0);
    } finally {
      await single.close();
    }
  });

  it('exposes to the runtime role, before sign-in, only the narrow look-up functions', async () => {
    const [login] = await runtime.sql`select * from identity.find_login(${alice.email.toUpperCase()})`;
    expect(Object.keys(login!).sort()).toEqual(['active', 'organization_id', 'password_hash', 'user_id']);
    expect(login!.user_id).toBe(alice.user.id);
    expect(await runtime.sql`select * from identity.find_login('nobody@example.com')`).toEqual([]);
  });
});

describe('membership policies', () => {
  let carol: AuthResult & { email: string; password: string };
  beforeAll(async () => {
    carol = await registerUser(h);
  });

  /** An open invite for carol into alice's organization, written as the owner would. */
  const inviteCarol = async (role: string) => {
    const [invite] = await h.admin`
      insert into identity.invites (id, organization_id, email, role, token_hash, invited_by, expires_at)
      values (gen_random_uuid(), ${alice.user.organizationId}, ${carol.email}, ${role},
              ${`hash-${Math.random()}`}, ${alice.user.id}, now() + interval '1 day')
      returning id`;
    return invite!.id as string;
  };
  const joinAs = (role: string, organizationId = alice.user.organizationId) =>
    sql`insert into identity.organization_members (organization_id, user_id, role)
        values (${organizationId}, ${carol.user.id}, ${role})`;
  const accept = (inviteId: string) =>
    sql`update identity.invites set accepted_by = ${carol.user.id}, accepted_at = now() where id = ${inviteId}`;

  it('lets an invitee join only in the invited role, and only while accepting', async () => {
    const viewerInvite = await inviteCarol('viewer');
    await expect(
      withActor(runtime.db, actorOf(carol), async (tx) => {
        await tx.execute(accept(viewerInvite));
        await tx.execute(joinAs('owner'));
      }),
    ).rejects.toMatchObject({ cause: { code: '42501' } });

    await withActor(runtime.db, actorOf(carol), async (tx) => {
      await tx.execute(accept(viewerInvite));
      await tx.execute(joinAs('viewer'));
    });
    // Having left, the spent invite does not let her back in later.
    await withActor(runtime.db, actorOf(carol), (tx) =>
      tx.execute(
        sql`delete from identity.organization_members where organization_id = ${alice.user.organizationId} and user_id = ${carol.user.id}`,
      ),
    );
    await expect(
      withActor(runtime.db, actorOf(carol), (tx) => tx.execute(joinAs('viewer'))),
    ).rejects.toMatchObject({ cause: { code: '42501' } });
  });

  it('does not let an invitee point the invite at another organization before accepting', async () => {
    const invite = await inviteCarol('member');
    await expect(
      withActor(runtime.db, actorOf(carol), async (tx) => {
        await tx.execute(
          sql`update identity.invites set organization_id = ${bob.user.organizationId}, role = 'owner',
              accepted_by = ${carol.user.id}, accepted_at = now() where id = ${invite}`,
        );
        await tx.execute(joinAs('owner', bob.user.organizationId));
      }),
    ).rejects.toMatchObject({ cause: { code: '42501' } });
    const [members] =
      await h.admin`select count(*)::int as n from identity.organization_members where organization_id = ${bob.user.organizationId} and user_id = ${carol.user.id}`;
    expect(members!.n).toBe(0);
  });

  it("does not let a stranger end someone's sessions or make them platform admin", async () => {
    const ended = await withActor(runtime.db, actorOf(carol), (tx) =>
      tx.execute(
        sql`select id from identity.revoke_all_sessions(${bob.user.id}, 'membership_changed') as id`,
      ),
    );
    expect([...ended]).toEqual([]);
    const [live] =
      await h.admin`select count(*)::int as n from identity.user_sessions where user_id = ${bob.user.id} and revoked_at is null`;
    expect(live!.n).toBeGreaterThan(0);

    await withActor(runtime.db, actorOf(carol), (tx) =>
      tx.execute(sql`select identity.grant_platform_admin(${bob.user.id})`),
    );
    const [admins] =
      await h.admin`select count(*)::int as n from identity.role_user where user_id = ${bob.user.id}`;
    expect(admins!.n).toBe(0);
  });
});

describe('profiles, credits and global settings', () => {
  const CREDIT_TABLES = ['profiles', 'credit_balances', 'credit_ledger', 'global_settings'];
  const user = (account: AuthResult) => ({ type: 'user', id: account.user.id });
  const topUpAsOwner = async (subject: { type: string; id: string }, amount: number) => {
    await h.admin`insert into identity.credit_balances (subject_type, subject_id, balance)
      values (${subject.type}, ${subject.id}, ${amount})
      on conflict (subject_type, subject_id) do update set balance = credit_balances.balance + ${amount}`;
    await h.admin`insert into identity.credit_ledger (id, subject_type, subject_id, kind, amount, reason)
      values (gen_random_uuid(), ${subject.type}, ${subject.id}, 'top_up', ${amount}, 'rls test')`;
  };

  beforeAll(async () => {
    for (const account of [alice, bob]) {
      await h.app.inject({
        method: 'PATCH',
        url: '/v1/me/profile',
        headers: bearer(account.accessToken),
        payload: { displayName: account.email },
      });
      await topUpAsOwner(user(account), 10);
    }
  });

  it('is enabled and forced on each of their tables, each with a policy', async () => {
    const tables = await h.admin<
      { relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean; policies: number }[]
    >`
      select c.relname, c.relrowsecurity, c.relforcerowsecurity,
             (select count(*)::int from pg_policies p where p.schemaname = 'identity' and p.tablename = c.relname) as policies
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'identity' and c.relname in ${h.admin(CREDIT_TABLES)} order by c.relname`;
    expect(tables.map((t) => t.relname)).toEqual([...CREDIT_TABLES].sort());
    for (const table of tables) {
      expect(table, table.relname).toMatchObject({ relrowsecurity: true, relforcerowsecurity: true });
      expect(table.policies, table.relname).toBeGreaterThan(0);
    }
  });

  it('shows profiles, balances and the ledger to nobody without an actor; the settings to anyone', async () => {
    for (const table of ['profiles', 'credit_balances', 'credit_ledger']) {
      const [all] = await h.admin`select count(*)::int as n from ${h.admin('identity')}.${h.admin(table)}`;
      expect(all!.n, `${table} as owner`).toBeGreaterThan(0);
      expect(await countAs(null, table), `${table} without actor`).toBe(0);
    }
    expect(await countAs(null, 'global_settings')).toBe(4);
  });

  it("shows user A only A's profile, balance and ledger, never B's", async () => {
    const a = actorOf(alice);
    expect(await countAs(a, 'profiles')).toBe(1);
    expect(await countAs(a, 'profiles', sql`where user_id = ${bob.user.id}`)).toBe(0);
    for (const table of ['credit_balances', 'credit_ledger']) {
      expect(await countAs(a, table, sql`where subject_id = ${alice.user.id}`), table).toBeGreaterThan(0);
      expect(await countAs(a, table, sql`where subject_id = ${bob.user.id}`), `${table}: B's as A`).toBe(0);
    }
  });

  it('lets no user top up, spend, or rewrite credits, nor change the settings', async () => {
    const a = actorOf(alice);
    const changed = await withActor(runtime.db, a, async (tx) => [
      ...(await tx.execute(
        sql`update identity.credit_balances set balance = balance + 1000 where subject_id = ${alice.user.id} returning subject_id`,
      )),
      ...(await tx.execute(
        sql`update identity.profiles set display_name = 'pwned' where user_id = ${bob.user.id} returning user_id`,
      )),
      ...(await tx.execute(
        sql`update identity.global_settings set value = 'false' where key = 'signup_open' returning key`,
      )),
      ...(await tx.execute(sql`delete from identity.global_settings returning key`)),
    ]);
    expect(changed).toEqual([]);
    await expect(
      withActor(runtime.db, a, (tx) =>
        tx.execute(sql`insert into identity.credit_ledger (id, subject_type, subject_id, kind, amount)
          values (gen_random_uuid(), 'user', ${alice.user.id}, 'top_up', 1000)`),
      ),
    ).rejects.toMatchObject({ cause: { code: '42501' } });
    await expect(
      withActor(runtime.db, a, (tx) =>
        tx.execute(sql`insert into identity.credit_balances (subject_type, subject_id, balance)
          values ('team', gen_random_uuid(), 1000)`),
      ),
    ).rejects.toMatchObject({ cause: { code: '42501' } });
    await expect(
      withActor(runtime.db, a, (tx) =>
        tx.execute(
          sql`insert into identity.profiles (user_id, display_name) values (${bob.user.id}, 'pwned')`,
        ),
      ),
    ).rejects.toMatchObject({ cause: { code: '42501' } });
    const [balance] =
      await h.admin`select balance from identity.credit_balances where subject_type = 'user' and subject_id = ${alice.user.id}`;
    expect(Number(balance!.balance)).toBe(10);
    const [signUp] = await h.admin`select value from identity.global_settings where key = 'signup_open'`;
    expect(signUp!.value).toBe(true);
  });

  it('keeps the ledger append-only and balances from being removed, even for a platform admin', async () => {
    const asAdmin = { ...actorOf(alice), platformAdmin: true };
    for (const statement of [
      sql`update identity.credit_ledger set amount = 1000000 where subject_id = ${alice.user.id}`,
      sql`delete from identity.credit_ledger where subject_id = ${alice.user.id}`,
      sql`delete from identity.credit_balances where subject_id = ${alice.user.id}`,
    ]) {
      await expect(withActor(runtime.db, asAdmin, (tx) => tx.execute(statement))).rejects.toMatchObject({
        cause: { code: '42501' },
      });
    }
    // A platform admin's top-up cannot pass itself off as a spend or a give-back.
    await expect(
      withActor(runtime.db, asAdmin, (tx) =>
        tx.execute(sql`insert into identity.credit_ledger (id, subject_type, subject_id, kind, amount, reservation_id)
          values (gen_random_uuid(), 'user', ${alice.user.id}, 'release', 1000, gen_random_uuid())`),
      ),
    ).rejects.toMatchObject({ cause: { code: '42501' } });
  });
});
