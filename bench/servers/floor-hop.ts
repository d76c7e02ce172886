import type { IncomingHttpHeaders } from 'node:http';
import Fastify from 'fastify';
import { type Dispatcher, Pool } from 'undici';

// The floor of a proxy hop: a bare fastify that forwards each request to UPSTREAM_URL over an
// undici keep-alive pool, the way the gateway does (`dispatch`, the answer gathered whole), and
// sends the answer back as one buffer. No token check, rate limit, CORS, security headers,
// request id, span or log: what the gateway adds beyond this is what the gateway scenarios'
// "gateway / hop floor" ratios put a number on.
const pool = new Pool(process.env.UPSTREAM_URL!, { connections: 128, pipelining: 1 });
const hopByHop = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'content-length']);

interface Answer {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function forward(path: string, authorization: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let statusCode = 0;
    let headers: IncomingHttpHeaders = {};
    const handler: Dispatcher.DispatchHandler = {
      // Present, or undici takes the handler for one of its deprecated kind.
      onRequestStart: () => {},
      onResponseStart: (_controller, status, answerHeaders) => {
        statusCode = status;
        headers = answerHeaders;
      },
      onResponseData: (_controller, chunk) => {
        chunks.push(chunk);
      },
      onResponseEnd: () => resolve({ statusCode, headers, body: Buffer.concat(chunks) }),
      onResponseError: (_controller, error) => reject(error),
    };
    pool.dispatch({ method: 'GET', path, headers: { authorization } }, handler);
  });
}

const app = Fastify({ logger: false });
app.get('/ready', async () => ({ ok: true }));
app.get('/v1/*', async (request, reply) => {
  const answer = await forward(request.url, request.headers.authorization ?? '');
  for (const name in answer.headers) {
    const value = answer.headers[name];
    if (value !== undefined && !hopByHop.has(name)) reply.header(name, value);
  }
  return reply.code(answer.statusCode).send(answer.body);
});

await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' });
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(signal, () => void app.close().then(() => pool.close().then(() => process.exit(0))));
