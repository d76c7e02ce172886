import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@conduit/testing';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preparingStatements } from '../../src/client.js';
import { createDatabase, type DatabaseClient, readWithActor, uuidv7, withActor } from '../../src/index.js';

const migrationsDir = fileURLToPath(new URL('../migrations', import.meta.url));
let database: TestDatabase;
let app: DatabaseClient;
const alice = uuidv7();
const bob = uuidv7();

beforeAll(async () => {
  database = await createTestDatabase([{ schema: 'dbtest', migrationsDir }]);
  // One connection: every read below shares it, as requests share a pool's connections.
  app = createDatabase(database.appUrl, { max: 1 });
  for (const [owner, body] of [
    [alice, 'alice note'],
    [bob, 'bob note'],
  ] as const)
    await withActor(app.db, { userId: owner }, (tx) =>
      tx.execute(sql`insert into dbtest.notes values (${uuidv7()}, ${owner}, ${body})`),
    );
});
afterAll(async () => {
  await app.close();
  await database.drop();
});

const bodies = (rows: Iterable<{ body: string }>) => [...rows].map((row) => row.body);
const readNotes = (owner: string) =>
  readWithActor(app.db, { userId: owner }, async (tx) =>
    bodies(await tx.execute<{ body: string }>(sql`select body from dbtest.notes`)),
  );

describe('readWithActor', () => {
  it('shows each actor only their own rows, with the settings of the transaction', async () => {
    expect(await readNotes(alice)).toEqual(['alice note']);
    expect(await readNotes(bob)).toEqual(['bob note']);
    const [settings] = await readWithActor(
      app.db,
      {
        userId: alice,
        orgId: uuidv7(),
        teamIds: ['t1', 't2'],
        writableTeamIds: ['t1'],
        permissions: ['a.read'],
      },
      (tx) =>
        tx.execute<Record<string, string>>(sql`select current_setting('app.team_ids') as teams,
          current_setting('app.writable_team_ids') as writable, current_setting('app.permissions') as permissions,
          current_setting('app.platform_admin') as admin, current_setting('transaction_read_only') as read_only`),
    );
    expect(settings).toEqual({
      teams: 't1,t2',
      writable: 't1',
      permissions: 'a.read',
      admin: 'false',
      read_only: 'on',
    });
  });

  it('runs several statements sent together in one transaction', async () => {
    // now() is the start of the transaction: the same in every statement of one.
    const at = sql`select now()::text as at, pg_sleep(0.01)::text`;
    const [notes, [first], [second]] = await readWithActor(app.db, { userId: bob }, (tx) =>
      Promise.all([
        tx.execute<{ body: string }>(sql`select body from dbtest.notes`),
        tx.execute<{ at: string }>(at),
        tx.execute<{ at: string }>(at),
      ]),
    );
    expect(bodies(notes)).toEqual(['bob note']);
    expect(first!.at).toBe(second!.at);
  });

  it('sends hand-written statements of postgres.js in the same transaction, refused once it is on its way', async () => {
    const rows = await readWithActor(
      app.db,
      { userId: alice },
      (_tx, sql) => sql<{ body: string }[]>`select body from dbtest.notes`,
    );
    expect(bodies(rows)).toEqual(['alice note']);
    await expect(
      readWithActor(app.db, { userId: alice }, async (_tx, sql) => {
        await sql`select 1`;
        return sql`select body from dbtest.notes`;
      }),
    ).rejects.toThrow(/sent after the read had begun awaiting/);
    expect(await readNotes(alice)).toEqual(['alice note']);
  });

  it('writes BEGIN, the settings, the reads and COMMIT to Postgres at once', async () => {
    // A pool of one connection whose socket counts its writes.
    let writes = 0;
    const url = new URL(database.appUrl);
    const client = postgres(database.appUrl, {
      max: 1,
      // postgres.js takes a socket of one's own (its types do not list the option).
      ...({
        socket: () => {
          const socket: Socket = connect(Number(url.port || 5432), url.hostname);
          const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
          socket.write = ((...args: unknown[]) => {
            writes += 1;
            return write(...args);
          }) as Socket['write'];
          return socket;
        },
      } as object),
    });
    const db = drizzle(preparingStatements(client));
    const read = () =>
      readWithActor(db, { userId: alice }, (tx) =>
        Promise.all([
          tx.execute<{ body: string }>(sql`select body from dbtest.notes`),
          tx.execute(sql`select 1`),
        ]),
      );
    await read(); // connects, and prepares each statement on the connection
    writes = 0;
    const [notes] = await read();
    expect(bodies(notes)).toEqual(['alice note']);
    expect(writes).toBe(1);
    await client.end();
  });

  it('keeps reads of many actors at once on one connection apart', async () => {
    const owners = Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? alice : i % 3 === 1 ? bob : uuidv7()));
    const seen = await Promise.all(owners.map((owner) => readNotes(owner)));
    expect(seen).toEqual(
      owners.map((owner) => (owner === alice ? ['alice note'] : owner === bob ? ['bob note'] : [])),
    );
  });

  it('leaves no actor on the connection for the next user', async () => {
    await readNotes(alice);
    const [after] = await app.sql`select current_setting('app.user_id', true) as user_id`;
    expect(after!.user_id ?? '').toBe('');
  });

  it('refuses a write (the transaction is read-only)', async () => {
    await expect(
      readWithActor(app.db, { userId: alice }, (tx) =>
        tx.execute(sql`insert into dbtest.notes values (${uuidv7()}, ${alice}, 'written in a read')`),
      ),
    ).rejects.toMatchObject({ cause: { code: '25006' } });
    expect(await readNotes(alice)).toEqual(['alice note']);
  });

  it('refuses a statement sent after the read began awaiting, rather than run it outside the transaction', async () => {
    await expect(
      readWithActor(app.db, { userId: alice }, async (tx) => {
        await tx.execute(sql`select 1`);
        return tx.execute(sql`select body from dbtest.notes`);
      }),
    ).rejects.toMatchObject({
      cause: { message: expect.stringMatching(/sent after the read had begun awaiting/) },
    });
    expect(await readNotes(alice)).toEqual(['alice note']);
  });

  it('treats a hostile actor id as data, and a failed read leaves the connection usable', async () => {
    await expect(readNotes("x'); drop table dbtest.notes; --")).rejects.toMatchObject({
      cause: { code: '22P02' },
    });
    await expect(
      readWithActor(app.db, { userId: alice }, (tx) => tx.execute(sql`select 1 / 0`)),
    ).rejects.toMatchObject({ cause: { code: '22012' } });
    expect(await readNotes(alice)).toEqual(['alice note']);
  });
});
