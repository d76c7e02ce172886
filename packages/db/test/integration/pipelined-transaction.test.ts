import { once } from 'node:events';
import { createServer, type Server, connect as tcpConnect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@conduit/testing';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDatabase, type DatabaseClient, postgresError, uuidv7, withActor } from '../../src/index.js';
import { beginPipelined } from '../../src/pipelined-transaction.js';

// Transactions opened through drizzle send BEGIN with their first statement. A TCP relay between
// the pool and Postgres records what the client writes, so a test can see which statements left
// in one write, and the transactions themselves are checked against Postgres.

const migrationsDir = fileURLToPath(new URL('../migrations', import.meta.url));
let database: TestDatabase;
let relay: Server;
let app: DatabaseClient;
const writes: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase([{ schema: 'dbtest', migrationsDir }]);
  const target = new URL(database.appUrl);
  relay = createServer((client) => {
    const server = tcpConnect(Number(target.port || 5432), target.hostname);
    client.on('data', (chunk) => {
      writes.push(chunk.toString('latin1'));
      server.write(chunk);
    });
    server.pipe(client);
    client.on('close', () => server.destroy());
    server.on('close', () => client.destroy());
    client.on('error', () => server.destroy());
    server.on('error', () => client.destroy());
  });
  relay.listen(0, '127.0.0.1');
  await once(relay, 'listening');
  const address = relay.address() as { port: number };
  const url = new URL(database.appUrl);
  url.hostname = '127.0.0.1';
  url.port = String(address.port);
  app = createDatabase(url.toString(), { max: 1 });
});
afterAll(async () => {
  await app.close();
  relay.close();
  await database.drop();
});
beforeEach(() => {
  writes.length = 0;
});

const owner = uuidv7();
const notesOf = async (userId: string) =>
  withActor(app.db, { userId }, async (tx) =>
    (await tx.execute<{ body: string }>(sql`select body from dbtest.notes order by body`)).map((r) => r.body),
  );

describe('a transaction opened through drizzle', () => {
  it('sends BEGIN, the actor and its first statement in one write, and COMMIT after', async () => {
    const marker = `first statement ${uuidv7()}`;
    const transaction = () =>
      withActor(app.db, { userId: owner }, (tx) => tx.execute(sql.raw(`select '${marker}'`)));
    // The first use of a statement on a connection waits for Postgres to describe it; after that
    // a transaction's opening is one write.
    await transaction();
    writes.length = 0;
    await transaction();
    const opening = writes.findIndex((write) => write.includes('begin'));
    expect(opening).toBeGreaterThanOrEqual(0);
    // The actor's settings go as a bind of their prepared statement: the actor's id is in it.
    expect(writes[opening]).toContain(owner);
    expect(writes[opening]).toContain(marker);
    expect(writes.slice(opening + 1).some((write) => write.includes('commit'))).toBe(true);
  });

  it('runs every statement in one transaction and commits', async () => {
    const [first, second] = await withActor(app.db, { userId: owner }, async (tx) => {
      await tx.execute(sql`insert into dbtest.notes values (${uuidv7()}, ${owner}, 'committed')`);
      const a = await tx.execute<{ id: string }>(sql`select txid_current()::text as id`);
      const b = await tx.execute<{ id: string }>(sql`select txid_current()::text as id`);
      return [a[0]!.id, b[0]!.id];
    });
    expect(first).toBe(second);
    expect(await notesOf(owner)).toContain('committed');
  });

  it('rolls back everything when the work fails, and the connection serves the next one', async () => {
    await expect(
      withActor(app.db, { userId: owner }, async (tx) => {
        await tx.execute(sql`insert into dbtest.notes values (${uuidv7()}, ${owner}, 'rolled back')`);
        throw new Error('the work failed');
      }),
    ).rejects.toThrow('the work failed');
    expect(await notesOf(owner)).not.toContain('rolled back');
    const [outside] =
      await app.sql`select current_setting('app.user_id', true) as user_id, txid_current() as id`;
    const [next] = await app.sql`select txid_current() as id`;
    expect(outside!.user_id).toBe('');
    expect(next!.id).not.toBe(outside!.id);
  });

  it('fails with the statement that failed, even when the work caught it and went on', async () => {
    const id = uuidv7();
    await withActor(app.db, { userId: owner }, (tx) =>
      tx.execute(sql`insert into dbtest.notes values (${id}, ${owner}, 'unique')`),
    );
    // Caught, then nothing more: Postgres would answer COMMIT with a rollback.
    const caughtOnly = withActor(app.db, { userId: owner }, async (tx) => {
      await tx.execute(sql`insert into dbtest.notes values (${uuidv7()}, ${owner}, 'lost 1')`);
      await tx
        .execute(sql`insert into dbtest.notes values (${id}, ${owner}, 'duplicate')`)
        .catch(() => undefined);
      return 'done';
    });
    await expect(caughtOnly).rejects.toMatchObject({ code: '23505' });
    // Caught, then another statement: that one's "transaction is aborted" hides the cause.
    const caughtThenMore = withActor(app.db, { userId: owner }, async (tx) => {
      await tx
        .execute(sql`insert into dbtest.notes values (${id}, ${owner}, 'duplicate')`)
        .catch(() => undefined);
      await tx.execute(sql`insert into dbtest.notes values (${uuidv7()}, ${owner}, 'lost 2')`);
    });
    await expect(caughtThenMore).rejects.toMatchObject({ code: '23505' });
    const notes = await notesOf(owner);
    expect(notes).not.toContain('lost 1');
    expect(notes).not.toContain('lost 2');
  });

  it('rolls a failed savepoint back alone', async () => {
    await withActor(app.db, { userId: owner }, async (tx) => {
      await tx.execute(sql`insert into dbtest.notes values (${uuidv7()}, ${owner}, 'outer')`);
      await expect(
        tx.transaction(async (savepoint) => {
          await savepoint.execute(sql`insert into dbtest.notes values (${uuidv7()}, ${owner}, 'inner')`);
          await savepoint.execute(sql`select 1 / 0`);
        }),
      ).rejects.toThrow();
      await tx.transaction((savepoint) =>
        savepoint.execute(sql`insert into dbtest.notes values (${uuidv7()}, ${owner}, 'inner kept')`),
      );
    });
    const notes = await notesOf(owner);
    expect(notes).toEqual(expect.arrayContaining(['outer', 'inner kept']));
    expect(notes).not.toContain('inner');
  });

  it('keeps its isolation level and access mode', async () => {
    const seen = await withActor(
      app.db,
      { userId: owner },
      async (tx) => {
        const [row] = await tx.execute<{ isolation: string; readOnly: string }>(
          sql`select current_setting('transaction_isolation') as isolation, current_setting('transaction_read_only') as "readOnly"`,
        );
        return row;
      },
      { isolationLevel: 'repeatable read', accessMode: 'read only' },
    );
    expect(seen).toEqual({ isolation: 'repeatable read', readOnly: 'on' });
  });

  it('sends a last statement nobody waits for with COMMIT, and fails with it', async () => {
    const insertUnawaited = (id: string) =>
      beginPipelined(app.sql, '', async (tx) => {
        await tx`select set_config('app.user_id', ${owner}, true)`;
        void tx`insert into dbtest.notes values (${id}, ${owner}, ${`unawaited ${id}`})`.execute();
      });
    // The first use of the insert on the connection waits for Postgres to describe it.
    await insertUnawaited(uuidv7());
    const id = uuidv7();
    await insertUnawaited(id);
    const last = writes.findLast((write) => write.includes(`unawaited ${id}`));
    expect(last).toContain('commit');
    expect(await notesOf(owner)).toContain(`unawaited ${id}`);
    // The same key again: the insert fails after the work returned, and so does the transaction.
    await expect(insertUnawaited(id)).rejects.toMatchObject({ code: '23505' });
  });
});

const codeOf = (error: unknown): string | undefined => postgresError(error)?.code;

describe('a transaction whose connection is lost', () => {
  it('fails with the loss, runs nothing after it, and leaves the process and the pool working', async () => {
    // postgres.js wrote a statement sent after the loss to no socket, from a timer: the throw
    // ended the process (patches/postgres@3.4.9.patch).
    const admin = postgres(database.adminUrl, { max: 1, onnotice: () => {} });
    try {
      const lost = withActor(app.db, { userId: owner }, async (tx) => {
        const [row] = await tx.execute<{ pid: number }>(sql`select pg_backend_pid() as pid`);
        await admin`select pg_terminate_backend(${row!.pid})`;
        await new Promise((resolve) => setTimeout(resolve, 200));
        await tx.execute(sql`insert into dbtest.notes values (${uuidv7()}, ${owner}, 'after the loss')`);
      });
      const error = await lost.then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect(codeOf(error)).toBe('CONNECTION_CLOSED');
      expect(await notesOf(owner)).not.toContain('after the loss');
    } finally {
      await admin.end();
    }
  });
});
