import Fastify from 'fastify';

// The baseline: fastify with nothing registered, one route, no logger. Everything a Conduit
// service adds on top of this is what the gateway scenario puts a number on.
const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));

await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' });
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(signal, () => void app.close().then(() => process.exit(0)));
