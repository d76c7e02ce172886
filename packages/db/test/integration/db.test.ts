import net, { type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@conduit/testing';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDatabase,
  type DatabaseClient,
  migrate,
  type OutboxRow,
  outboxWakePayload,
  startOutboxRelay,
  UNPREPARED,
  uuidv7,
  withActor,
  withoutActor,
} from '../../src/index.js';

const migrationsDir = fileURLToPath(new URL('../migrations', import.meta.url));
let database: TestDatabase;
let app: DatabaseClient;

beforeAll(async () => {
  database = await createTestDatabase([{ schema: 'dbtest', migrationsDir }]);
  app = createDatabase(database.appUrl, { max: 1 });
});
afterAll(async () => {
  await app.close();
  await database.drop();
});

const insertNote = (owner: string, body: string) =>
  withActor(app.db, { userId: owner }, (tx) =>
    tx.execute(sql`insert into dbtest.notes values (${uuidv7()}, ${owner}, ${body})`),
  );
const readNotes = (owner: string) =>
  withActor(app.db, { userId: owner }, async (tx) =>
    (await tx.execute<{ body: string }>(sql`select body from dbtest.notes`)).map((r) => r.body),
  );

describe('migrations', () => {
  it('are safe to run twice and record what ran', async () => {
    expect(await migrate({ adminUrl: database.adminUrl, schema: 'dbtest', migrationsDir })).toEqual([]);
    const admin = postgres(database.adminUrl, { max: 1 });
    const rows = await admin`select name from dbtest.__migrations order by name`;
    await admin.end();
    expect(rows.map((r) => r.name)).toEqual(['0000_notes.sql', '0001_outbox.sql']);
  });

  it('leave the runtime role owning nothing and unable to bypass row-level security', async () => {
    const [role] =
      await app.sql`select rolsuper, rolbypassrls, current_user as name from pg_roles where rolname = current_user`;
    expect(role).toEqual({ rolsuper: false, rolbypassrls: false, name: 'dbtest_app' });
    const owned =
      await app.sql`select tablename from pg_tables where schemaname = 'dbtest' and tableowner = current_user`;
    expect(owned).toEqual([]);
  });
});

describe('actor transactions on one pooled connection', () => {
  const alice = uuidv7();
  const bob = uuidv7();

  it('show each actor only their own rows, and nothing without an actor', async () => {
    await insertNote(alice, 'alice note');
    await insertNote(bob, 'bob note');
    expect(await readNotes(alice)).toEqual(['alice note']);
    expect(await readNotes(bob)).toEqual(['bob note']);
    expect(
      await withoutActor(app.db, async (tx) => (await tx.execute(sql`select * from dbtest.notes`)).length),
    ).toBe(0);
  });

  it('do not leak the actor to the next transaction on the same connection', async () => {
    await readNotes(alice);
    const [after] = await app.sql`select current_setting('app.user_id', true) as user_id`;
    expect(after!.user_id ?? '').toBe('');
  });

  it('refuse writing a row for someone else', async () => {
    await expect(
      withActor(app.db, { userId: alice }, (tx) =>
        tx.execute(sql`insert into dbtest.notes values (${uuidv7()}, ${bob}, 'forged')`),
      ),
    ).rejects.toThrow();
  });

  it('treat a hostile actor id as data, never as SQL', async () => {
    await expect(readNotes("x'); drop table dbtest.notes; --")).rejects.toMatchObject({
      cause: { code: '22P02' },
    });
    expect(await readNotes(alice)).toEqual(['alice note']);
  });
});

describe('outbox relay', () => {
  it('publishes committed rows in order, skips rolled-back ones, and retries after a failure', async () => {
    const published: OutboxRow[] = [];
    let failNext = true;
    const relay = await startOutboxRelay({
      sql: app.sql,
      schema: 'dbtest',
      pollIntervalMs: 50,
      publish: async (row) => {
        if (failNext) {
          failNext = false;
          throw new Error('bus down');
        }
        published.push(row);
      },
    });
    const ids = [uuidv7(), uuidv7()];
    for (const id of ids) {
      await app.sql`insert into dbtest.outbox (id, subject, payload) values (${id}, 'dbtest.note.created', ${JSON.stringify({ id })}::jsonb)`;
    }
    await app.sql
      .begin(async (tx) => {
        await tx`insert into dbtest.outbox (id, subject, payload) values (${uuidv7()}, 'dbtest.note.created', '{}')`;
        await tx`select pg_notify('dbtest_outbox', '')`;
        throw new Error('rollback');
      })
      .catch(() => {});
    await expect.poll(() => published.map((row) => row.id), { timeout: 5000 }).toEqual(ids);
    const [first] =
      await app.sql`select attempts, last_error, published_at from dbtest.outbox where id = ${ids[0]!}`;
    expect(first).toMatchObject({ attempts: 2, last_error: null });
    await relay.stop();
  });

  it('marks the rows before a failed one of a batch as published, and goes on from the failed one', async () => {
    const ids = [uuidv7(), uuidv7(), uuidv7()];
    await app.sql.begin(async (tx) => {
      for (const id of ids)
        await tx`insert into dbtest.outbox (id, subject, payload) values (${id}, 'dbtest.note.created', '{}')`;
    });
    const published: string[] = [];
    let failSecond = true;
    // The relay starts by taking up the three rows in one batch; the second fails once.
    const relay = await startOutboxRelay({
      sql: app.sql,
      schema: 'dbtest',
      pollIntervalMs: 50,
      publish: async (row) => {
        if (row.id === ids[1] && failSecond) {
          failSecond = false;
          throw new Error('bus down');
        }
        published.push(row.id);
      },
    });
    await expect.poll(() => published, { timeout: 5000 }).toEqual(ids);
    const rows = await app.sql`
      select attempts, last_error, published_at from dbtest.outbox where id = any(${ids}::uuid[]) order by id`;
    expect(rows.map((row) => row.attempts)).toEqual([1, 2, 1]);
    expect(rows.every((row) => row.published_at !== null && row.last_error === null)).toBe(true);
    await relay.stop();
  });
  it("is woken at once by its own process's rows and by unnamed ones; another process's wait for the poll", async () => {
    const published: string[] = [];
    // No poll within the test: only a wake-up can publish.
    const relay = await startOutboxRelay({
      sql: app.sql,
      schema: 'dbtest',
      pollIntervalMs: 60_000,
      publish: async (row) => {
        published.push(row.id);
      },
    });
    await relay.flush();
    published.length = 0;
    const writeAndWake = (id: string, payload: string) =>
      app.sql.begin(async (tx) => {
        await tx`insert into dbtest.outbox (id, subject, payload) values (${id}, 'dbtest.note.created', '{}')`;
        await tx`select pg_notify('dbtest_outbox', ${payload})`;
      });
    const [foreign, own, unnamed] = [uuidv7(), uuidv7(), uuidv7()];
    // Another process wrote it: that process relays it (or, should it die, a poll does).
    await writeAndWake(foreign, 'another-process');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(published).toEqual([]);
    // This process's rows are relayed at once, with whatever else is pending, in order.
    await writeAndWake(own, outboxWakePayload);
    await expect.poll(() => published, { timeout: 2000, interval: 20 }).toEqual([foreign, own]);
    await writeAndWake(unnamed, '');
    await expect.poll(() => published, { timeout: 2000, interval: 20 }).toEqual([foreign, own, unnamed]);
    await relay.stop();
  });
});

describe('statements drizzle sends', () => {
  it('are prepared once per connection, in transactions and savepoints too, and RLS still applies', async () => {
    const owner = uuidv7();
    await insertNote(owner, 'prepared');
    const text = 'select body from dbtest.notes where owner_id = $1';
    const preparedCount = (tx: Parameters<Parameters<typeof app.db.transaction>[0]>[0]) =>
      tx.execute<{ n: number }>(
        sql`select count(*)::int as n from pg_prepared_statements where statement = ${text}`,
      );
    const readAs = async (userId: string) =>
      withActor(app.db, { userId }, async (tx) => {
        const rows = await tx.execute<{ body: string }>(
          sql.raw(`select body from dbtest.notes where owner_id = '${owner}'`),
        );
        // A parameterized statement, as drizzle's builders send them; then one inside a savepoint.
        const bodies = await tx.execute<{ body: string }>(
          sql`select body from dbtest.notes where owner_id = ${owner}`,
        );
        const nested = await tx.transaction((savepoint) =>
          savepoint.execute<{ body: string }>(sql`select body from dbtest.notes where owner_id = ${owner}`),
        );
        return {
          raw: rows.length,
          bodies: bodies.map((r) => r.body),
          nested: nested.length,
          prepared: (await preparedCount(tx))[0]!.n,
        };
      });
    const first = await readAs(owner);
    const again = await readAs(owner);
    expect(first).toEqual({ raw: 1, bodies: ['prepared'], nested: 1, prepared: 1 });
    // The same text on the same (only) connection: still one statement, reused.
    expect(again.prepared).toBe(1);
    // A cached plan does not carry one actor's rows to another.
    expect(await readAs(uuidv7())).toEqual({ raw: 0, bodies: [], nested: 0, prepared: 1 });
  });
});

describe('prepared statements across a migration', () => {
  it('run a transaction again when a statement read with * changed its columns since it was prepared', async () => {
    const owner = uuidv7();
    await insertNote(owner, 'before the migration');
    const readAll = () =>
      withActor(app.db, { userId: owner }, (tx) =>
        tx.execute<Record<string, unknown>>(sql`select * from dbtest.notes where owner_id = ${owner}`),
      );
    expect(Object.keys((await readAll())[0]!)).toEqual(['id', 'owner_id', 'body']);
    const admin = postgres(database.adminUrl, { max: 1, onnotice: () => {} });
    try {
      await admin`alter table dbtest.notes add column tag text`;
      expect(Object.keys((await readAll())[0]!)).toEqual(['id', 'owner_id', 'body', 'tag']);
    } finally {
      await admin`alter table dbtest.notes drop column tag`;
      await admin.end();
    }
  });

  it('leave statements with many parameters, and those marked UNPREPARED, unprepared', async () => {
    const owner = uuidv7();
    const ids = Array.from({ length: 65 }, () => uuidv7());
    const counts = await withActor(app.db, { userId: owner }, async (tx) => {
      await tx.execute(
        sql`select ${sql.join(
          ids.map((id) => sql`${id}::uuid`),
          sql`, `,
        )}`,
      );
      await tx.execute(sql`${sql.raw(UNPREPARED)}select ${owner}::uuid as marked`);
      return tx.execute<{ many: number; marked: number }>(sql`select
        count(*) filter (where statement like '%$65%')::int as many,
        count(*) filter (where statement like '%marked%')::int as marked
        from pg_prepared_statements`);
    });
    expect(counts[0]).toEqual({ many: 0, marked: 0 });
  });
});

describe('the connection pool (postgres.js, patched)', () => {
  it('gives work that comes one piece at a time the connection released last, not the one idle longest', async () => {
    const pool = createDatabase(database.appUrl, { max: 4 });
    try {
      // Four statements at once open four connections.
      const opened = await Promise.all(
        [1, 2, 3, 4].map(() => pool.sql<{ pid: number }[]>`select pg_backend_pid() as pid, pg_sleep(0.05)`),
      );
      expect(new Set(opened.map(([row]) => row!.pid)).size).toBe(4);
      // Then statements and transactions one after another: all on one connection (its backend has
      // their plans and caches), where taking the one idle longest went round all four.
      const pids: number[] = [];
      for (let i = 0; i < 6; i++) {
        pids.push((await pool.sql<{ pid: number }[]>`select pg_backend_pid() as pid`)[0]!.pid);
        pids.push(
          await withoutActor(pool.db, async (tx) =>
            Number((await tx.execute<{ pid: number }>(sql`select pg_backend_pid() as pid`))[0]!.pid),
          ),
        );
      }
      expect(new Set(pids).size).toBe(1);
    } finally {
      await pool.close();
    }
  });

  it('answers a statement whose new connection was terminated while it read the array types, and the process goes on', async () => {
    // A proxy in front of Postgres that holds back the first connection's question for the array
    // types and has its backend terminated meanwhile (as a restart or pg_terminate_backend does to
    // a connection still starting up): Postgres answers FATAL 57P01 and closes it.
    const target = new URL(database.appUrl);
    const admin = postgres(database.adminUrl, { max: 1, onnotice: () => {} });
    let terminated = 0;
    let termination: Promise<unknown> | undefined;
    const proxy = net.createServer((client) => {
      const server = net.connect(Number(target.port || 5432), target.hostname);
      const both = () => {
        client.destroy();
        server.destroy();
      };
      server.on('data', (data) => client.write(data));
      client.on('data', (data) => {
        if (terminated > 0 || !data.includes('typarray')) return void server.write(data);
        terminated++;
        // postgres.js sends a statement when it is awaited or executed: at once, here.
        termination =
          admin`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'array-types-test'`.execute();
      });
      for (const socket of [client, server]) socket.on('error', both).on('close', both);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const url = new URL(database.appUrl);
    url.hostname = '127.0.0.1';
    url.port = String((proxy.address() as AddressInfo).port);
    const client = postgres(url.toString(), {
      max: 1,
      onnotice: () => {},
      connection: { application_name: 'array-types-test' },
    });
    try {
      const first = await client`select 1 as one`.then(
        (rows) => rows,
        (error: { code?: string }) => error.code,
      );
      expect(terminated).toBe(1);
      expect(await termination).toEqual([{ pg_terminate_backend: true }]);
      // The statement fails with its connection (postgres.js reports the backend's error on it).
      expect(first).toBe('57P01');
      // The next one gets a new connection, which reads the types and answers.
      expect(await client`select 1 as one`).toEqual([{ one: 1 }]);
      await new Promise((resolve) => setTimeout(resolve, 50));
      // Unpatched, the types' query rejected with nothing awaiting it: Node ends such a process.
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await client.end({ timeout: 1 });
      await admin.end({ timeout: 1 });
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});
