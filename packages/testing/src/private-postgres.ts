import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';

const run = promisify(execFile);

/**
 * A PostgreSQL cluster of the test's own, for what the machine's shared server must not be changed
 * for (TLS, settings that need a restart): initdb into a temporary directory, started on a free
 * port with pg_ctl and deleted on close. Postgres refuses to run as root, so under root the
 * cluster belongs to the `postgres` user and every command runs as that user (runuser).
 */
export interface PrivatePostgres {
  port: number;
  /** The superuser (`postgres`), by password over TCP: `postgres://postgres:...@localhost:port/postgres`. */
  adminUrl: string;
  superuserPassword: string;
  /** With `tls`: the server's self-signed certificate (PEM), which is also the CA to trust. */
  certificate?: string;
  close(): Promise<void>;
}

export interface PrivatePostgresOptions {
  /**
   * Serve TLS with a self-signed certificate for these host names (its subjectAltName), made with
   * openssl. With `only`, plain connections over TCP are refused (hostssl in pg_hba.conf).
   */
  tls?: { hostNames: string[]; only?: boolean };
}

/** The newest server binaries installed (`/usr/lib/postgresql/<n>/bin`), or POSTGRES_BIN_DIR. */
export function postgresBinDir(): string {
  if (process.env.POSTGRES_BIN_DIR) return process.env.POSTGRES_BIN_DIR;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions[0]) throw new Error(`no PostgreSQL server binaries under ${root}; set POSTGRES_BIN_DIR`);
  return join(root, versions[0], 'bin');
}

export async function startPrivatePostgres(options: PrivatePostgresOptions = {}): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? await userIds('postgres') : undefined;
  const dir = await mkdtemp(join(tmpdir(), 'conduit-pg-'));
  const data = join(dir, 'data');
  const files: string[] = [];
  const own = async (path: string) => {
    files.push(path);
    if (owner) await chown(path, owner.uid, owner.gid);
  };
  const as = (command: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', command, ...args]) : run(command, args);
  await own(dir);

  const superuserPassword = randomBytes(18).toString('base64url');
  const pwfile = join(dir, 'pwfile');
  await writeFile(pwfile, `${superuserPassword}\n`, { mode: 0o600 });
  await own(pwfile);
  await as(join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    'postgres',
    '--pwfile',
    pwfile,
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    '--no-sync',
    '-E',
    'UTF8',
    '--locale=C',
  ]);

  const port = await freePort();
  const settings = [
    `port = ${port}`,
    `listen_addresses = 'localhost'`,
    `unix_socket_directories = '${dir}'`,
    'fsync = off',
    'max_connections = 30',
    'shared_buffers = 16MB',
  ];
  let certificate: string | undefined;
  if (options.tls) {
    const cert = join(dir, 'server.crt');
    const key = join(dir, 'server.key');
    const names = options.tls.hostNames.map((n) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${options.tls.hostNames[0] ?? 'localhost'}`,
      '-addext',
      `subjectAltName=${names}`,
      '-keyout',
      key,
      '-out',
      cert,
    ]);
    await chmod(key, 0o600);
    await own(key);
    await own(cert);
    certificate = await readFile(cert, 'utf8');
    settings.push('ssl = on', `ssl_cert_file = '${cert}'`, `ssl_key_file = '${key}'`);
    if (options.tls.only)
      await writeFile(
        join(data, 'pg_hba.conf'),
        [
          'local all all trust',
          'hostssl all all 127.0.0.1/32 scram-sha-256',
          'hostssl all all ::1/128 scram-sha-256',
          'host all all 0.0.0.0/0 reject',
          'host all all ::/0 reject',
          '',
        ].join('\n'),
      );
  }
  await writeFile(join(data, 'postgresql.auto.conf'), `${settings.join('\n')}\n`);
  await own(join(data, 'postgresql.auto.conf'));

  const log = join(dir, 'server.log');
  const ctl = (args: string[]) => as(join(bin, 'pg_ctl'), ['-D', data, ...args]);
  try {
    await ctl(['-l', log, '-w', '-t', '60', 'start']);
  } catch (error) {
    const tail = await readFile(log, 'utf8').catch(() => '');
    await rm(dir, { recursive: true, force: true });
    throw new Error(`the private Postgres did not start: ${(error as Error).message}\n${tail.slice(-2000)}`);
  }

  return {
    port,
    adminUrl: `postgres://postgres:${superuserPassword}@localhost:${port}/postgres`,
    superuserPassword,
    ...(certificate === undefined ? {} : { certificate }),
    async close() {
      await ctl(['-m', 'fast', '-w', 'stop']).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function userIds(name: string): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}
