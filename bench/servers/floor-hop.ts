import Fastify from 'fastify';
import { Pool } from 'undici';

// The floor of a proxy hop: a bare fastify that forwards each request to UPSTREAM_URL over an
// undici keep-alive pool (the gateway's own client) and sends the answer back as one buffer. No
// token check, rate limit, CORS, security headers, request id, span or log: what the gateway
// adds beyond this is what the gateway scenario's "gateway / hop floor" ratio puts a number on.
const pool = new Pool(process.env.UPSTREAM_URL!, { connections: 128, pipelining: 1 });
const hopByHop = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'content-length']);

const app = Fastify({ logger: false });
app.get('/ready', async () => ({ ok: true }));
app.get('/v1/*', async (request, reply) => {
  const upstream = await pool.request({
    method: 'GET',
    path: request.url,
    headers: { authorization: request.headers.authorization ?? '' },
  });
  for (const [name, value] of Object.entries(upstream.headers))
    if (value !== undefined && !hopByHop.has(name)) reply.header(name, value);
  return reply.code(upstream.statusCode).send(Buffer.from(await upstream.body.arrayBuffer()));
});

await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' });
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(signal, () => void app.close().then(() => pool.close().then(() => process.exit(0))));
