import type { FastifyInstance } from 'fastify';

/**
 * Listens, and on SIGTERM / SIGINT closes with grace: the server stops accepting, in-flight requests
 * finish (fastify answers 503 to new ones meanwhile), then `onClose` hooks drain the connections.
 * A second signal, or a close that takes longer than `graceMs`, exits at once.
 */
export async function runServer(
  app: FastifyInstance,
  options: { port: number; host?: string; graceMs?: number },
): Promise<string> {
  const address = await app.listen({ port: options.port, host: options.host ?? '0.0.0.0' });
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) process.exit(1);
    closing = true;
    app.log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      app.log.error('graceful shutdown timed out');
      process.exit(1);
    }, options.graceMs ?? 10_000);
    timer.unref();
    app.close().then(
      () => process.exit(0),
      (error) => {
        app.log.error({ err: error }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  return address;
}
