import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

/**
 * A NATS server (JetStream on disk) of the test's own, for tests that must crash the bus: the
 * machine's shared NATS is never stopped. `crash()` kills it with SIGKILL (no chance to flush or
 * say goodbye) and `start()` brings it back on the same port and store directory, so durable
 * streams and consumers survive as they would a real broker's crash.
 */
export interface PrivateNats {
  url: string;
  port: number;
  /** (Re)starts the server and resolves once it accepts connections. */
  start(): Promise<void>;
  /** SIGKILL, resolved once the process is gone. */
  crash(): Promise<void>;
  /** Stops it and deletes its store. */
  close(): Promise<void>;
}

export const natsServerBinary = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server';

export async function startPrivateNats(): Promise<PrivateNats> {
  const storeDir = await mkdtemp(join(tmpdir(), 'conduit-nats-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  let output = '';

  const gone = (process: ChildProcess) =>
    new Promise<void>((resolve) =>
      process.exitCode !== null || process.signalCode !== null
        ? resolve()
        : process.once('exit', () => resolve()),
    );
  const stop = async (signal: NodeJS.Signals) => {
    const running = child;
    child = undefined;
    if (!running) return;
    running.kill(signal);
    await gone(running);
  };

  const nats: PrivateNats = {
    url: `nats://127.0.0.1:${port}`,
    port,
    async start() {
      if (child) return;
      output = '';
      const started = spawn(
        natsServerBinary,
        ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      started.stderr!.on('data', (chunk: Buffer) => {
        output = (output + chunk.toString()).slice(-4000);
      });
      child = started;
      const deadline = Date.now() + 20_000;
      while (!(await accepts(port))) {
        if (started.exitCode !== null || Date.now() > deadline) {
          await stop('SIGKILL');
          throw new Error(`nats-server did not start on port ${port}: ${output}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // JetStream recovers its streams from disk after the port opens; wait for it to say so.
      while (!output.includes('Server is ready')) {
        if (Date.now() > deadline) throw new Error(`nats-server not ready: ${output}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    crash: () => stop('SIGKILL'),
    async close() {
      await stop('SIGTERM');
      await rm(storeDir, { recursive: true, force: true });
    },
  };
  await nats.start();
  return nats;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
