import Fastify from 'fastify';

// The baseline of the workflow scenario: the logic of its webhook -> set -> if -> respond
// workflow written as one bare fastify handler, with nothing persisted, no usage reserved, no
// queue and no expressions. What the workflow engine adds on top of this is what the scenario
// puts a number on.
const app = Fastify({ logger: false });
// Readiness, for the harness.
app.get('/', async () => ({ ready: true }));
app.post('/hook', async (request) => {
  const body = (request.body ?? {}) as { quantity?: number; price?: number };
  // set: total = quantity * price
  const total = (body.quantity ?? 0) * (body.price ?? 0);
  // if: total > 100, then respond with the tier
  return total > 100 ? { tier: 'large', total } : { tier: 'small', total };
});

await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' });
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(signal, () => void app.close().then(() => process.exit(0)));
