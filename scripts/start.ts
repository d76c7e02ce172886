/**
 * `pnpm start`: runs the whole cluster on this machine against Postgres, Redis and NATS on their
 * default ports, with one readable log stream. Each service applies its own migrations as it
 * starts. Ctrl-C stops everything.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { baseEnv, loadDotEnv, parseEnv } from '@conduit/config';
import { prettyFactory } from 'pino-pretty';
import { checkInfrastructure, ensureDatabase, reachable } from './infrastructure.js';
import { clusterProcesses } from './services.js';

const root = fileURLToPath(new URL('..', import.meta.url));
loadDotEnv(root);
const env = parseEnv(baseEnv, process.env);
const colors = [36, 35, 33, 32, 34, 31, 96, 95];
const label = (name: string, i: number) => `\x1b[${colors[i % colors.length]}m${name.padEnd(16)}\x1b[0m│ `;

const dockerWorks = () => {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
};

async function ensureInfrastructure() {
  let missing = (await checkInfrastructure(env)).filter((check) => !check.ok);
  if (missing.length && dockerWorks()) {
    const names = missing.map((check) => check.name.toLowerCase());
    console.log(`Starting ${names.join(', ')} with docker compose...`);
    execFileSync('docker', ['compose', 'up', '-d', '--wait', ...names], { cwd: root, stdio: 'inherit' });
    missing = (await checkInfrastructure(env)).filter((check) => !check.ok);
  }
  if (missing.length) {
    console.error('Conduit needs Postgres, Redis and NATS. Not reachable:');
    for (const check of missing)
      console.error(`  - ${check.name} at ${check.detail}. Start it with:\n      ${check.howToStart}`);
    process.exit(1);
  }
  if (await ensureDatabase(env.DATABASE_URL))
    console.log(`Created database ${new URL(env.DATABASE_URL).pathname.slice(1)}.`);
}

// The services write JSON lines (cheap); this process makes them readable, once, for the person
// watching a terminal. Piped elsewhere (a file, a log shipper), the JSON passes through as it is.
const readable = process.env.LOG_PRETTY
  ? /^(true|1|yes|on)$/i.test(process.env.LOG_PRETTY)
  : process.stdout.isTTY;
const pretty = prettyFactory({
  colorize: true,
  singleLine: true,
  ignore: 'pid,hostname,name',
  translateTime: 'HH:MM:ss.l',
});
const format = (line: string) => {
  if (!readable || !line.startsWith('{')) return line;
  try {
    return pretty(line).trimEnd();
  } catch {
    return line;
  }
};

function prefixLines(stream: NodeJS.ReadableStream, prefix: string, out: NodeJS.WritableStream) {
  let rest = '';
  stream.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) out.write(`${prefix}${format(line)}\n`);
  });
  stream.on('end', () => rest && out.write(`${prefix}${format(rest)}\n`));
}

async function waitUntilReady(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return true;
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  return false;
}

await ensureInfrastructure();

// Another cluster (or anything else) on a service's port would answer our readiness checks.
const busy = [];
for (const service of clusterProcesses) {
  const port = service.portVariable
    ? Number(process.env[service.portVariable] ?? service.defaultPort)
    : undefined;
  if (port && (await reachable('127.0.0.1', port, 500)))
    busy.push(`${service.name} (port ${port}, set ${service.portVariable} to change it)`);
}
if (busy.length) {
  console.error(`These ports are taken; is Conduit already running?\n  - ${busy.join('\n  - ')}`);
  process.exit(1);
}

const children: ChildProcess[] = [];
let stopping = false;
const stopAll = (code: number) => {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  setTimeout(() => process.exit(code), 8000).unref();
  Promise.all(
    children.map(
      (child) =>
        new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve))),
    ),
  ).then(() => process.exit(code));
};
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

for (const [i, service] of clusterProcesses.entries()) {
  // --no-node-snapshot: isolated-vm (RUN JAVASCRIPT in bots' scripts) needs it on Node 20.
  const child = spawn(process.execPath, ['--no-node-snapshot', '--import', 'tsx', service.entry], {
    cwd: root,
    // Mail servers on this machine (a local Dovecot) are reachable in development, plain IMAP too.
    // Databases on it are not metrics data sources unless METRICS_ALLOWED_HOSTS says so: any team
    // admin could otherwise add the local cluster and read every schema. The email service runs
    // here, so identity's mails are its templates, written to .data/mail.
    env: {
      MAIL_ALLOWED_HOSTS: '127.0.0.1,localhost',
      MAIL_ALLOW_INSECURE: 'true',
      MAIL_DELIVERY: 'email-service',
      MAIL_URL: 'file://.data/mail',
      ...process.env,
      LOG_PRETTY: 'false',
      FORCE_COLOR: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  prefixLines(child.stdout!, label(service.name, i), process.stdout);
  prefixLines(child.stderr!, label(service.name, i), process.stderr);
  child.once('exit', (code, signal) => {
    if (stopping) return;
    console.error(`${label(service.name, i)}exited (${signal ?? `code ${code}`}); stopping the cluster`);
    stopAll(1);
  });
  children.push(child);
  if (service.portVariable) {
    const port = process.env[service.portVariable] ?? service.defaultPort;
    if (!(await waitUntilReady(`http://127.0.0.1:${port}/health/ready`, 60_000))) {
      console.error(`${label(service.name, i)}not ready after 60 s; stopping the cluster`);
      stopAll(1);
      break;
    }
  }
}

if (!stopping) {
  const gateway = `http://localhost:${process.env.GATEWAY_PORT ?? 8080}`;
  console.log(
    `\n  Conduit is up: ${gateway}   (API docs: ${gateway}/docs, health: ${gateway}/health/ready)\n`,
  );
}
