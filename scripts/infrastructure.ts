import { Socket } from 'node:net';
import postgres from 'postgres';

export interface InfrastructureCheck {
  name: string;
  ok: boolean;
  detail: string;
  howToStart: string;
}

export function reachable(host: string, port: number, timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host, () => done(true));
  });
}

const hostPort = (url: string, fallbackPort: number) => {
  const parsed = new URL(url.includes('://') ? url : `nats://${url}`);
  return { host: parsed.hostname || 'localhost', port: Number(parsed.port || fallbackPort) };
};

/** Is Postgres, Redis and NATS each reachable? Says how to start the ones that are not. */
export async function checkInfrastructure(env: {
  DATABASE_URL: string;
  REDIS_URL: string;
  NATS_URL: string;
}): Promise<InfrastructureCheck[]> {
  const pg = hostPort(env.DATABASE_URL, 5432);
  const redis = hostPort(env.REDIS_URL, 6379);
  const nats = hostPort(env.NATS_URL.split(',')[0]!, 4222);
  return [
    {
      name: 'Postgres',
      ok: await reachable(pg.host, pg.port),
      detail: `${pg.host}:${pg.port}`,
      howToStart:
        'sudo pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start   (or: docker compose up -d postgres)',
    },
    {
      name: 'Redis',
      ok: await reachable(redis.host, redis.port),
      detail: `${redis.host}:${redis.port}`,
      howToStart: 'redis-server --daemonize yes   (or: docker compose up -d redis)',
    },
    {
      name: 'NATS',
      ok: await reachable(nats.host, nats.port),
      detail: `${nats.host}:${nats.port}`,
      howToStart:
        'nats-server -js -sd /var/lib/nats-server &   (JetStream on; or: docker compose up -d nats)',
    },
  ];
}

/** Creates the cluster's database when the server has none of that name yet. */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
  try {
    const [exists] = await sql`select 1 from pg_database where datname = ${name}`;
    if (exists) return false;
    await sql.unsafe(`create database "${name.replace(/"/g, '""')}"`);
    return true;
  } finally {
    await sql.end();
  }
}
