import { bootIdentityProcess } from './boot.js';
import { startIdentityWorker } from './jobs/identity-worker.js';

/** Identity's job worker: no port; runs until SIGTERM or SIGINT, then lets running jobs finish. */
const GRACE_MS = 10_000;

const { env, log, telemetry } = await bootIdentityProcess('identity-worker');
const starting = startIdentityWorker(env, log);

let closing = false;
const shutdown = (signal: NodeJS.Signals) => {
  if (closing) process.exit(1);
  closing = true;
  log.info({ signal }, 'shutting down');
  setTimeout(() => {
    log.error('graceful shutdown timed out');
    process.exit(1);
  }, GRACE_MS).unref();
  // A signal during start-up waits for the start to finish, then closes what it opened.
  starting
    .then((worker) => worker.close())
    .then(() => telemetry.shutdown())
    .then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'error while shutting down');
        process.exit(1);
      },
    );
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
await starting;
