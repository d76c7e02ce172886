import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import postgres from 'postgres';

// The floor of a stored chat turn: the same access token check as every service makes, then one
// transaction writing the user's message and the bot's answer (one insert) and their two
// `conversation.message.created` outbox rows (one insert), answered as JSON. No session or bot
// read, no turn lock, no usage RPCs, no knowledge search, no answer to compute. It writes into
// copies of conversation's tables (same columns, indexes and generated search vector, schema
// `bench_floor`) so that conversation's outbox relay does not publish them.
const keys = createRemoteJWKSet(new URL(`${process.env.IDENTITY_URL}/.well-known/jwks.json`));
const sql = postgres(process.env.DATABASE_URL!, { max: 10, onnotice: () => {} });
await sql.unsafe(`
  create schema if not exists bench_floor;
  create table if not exists bench_floor.message_history (like conversation.message_history including all);
  create table if not exists bench_floor.outbox (like conversation.outbox including all);`);

const ANSWER = 'Refunds are paid to the original card within 5 business days. [1]';
const app = Fastify({ logger: false });
app.post<{ Params: { id: string }; Body: { text: string } }>(
  '/v1/sessions/:id/messages',
  async (request, reply) => {
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    let userId: string;
    try {
      const { payload } = await jwtVerify(token ?? '', keys, {
        algorithms: ['EdDSA'],
        issuer: 'conduit-identity',
        audience: 'conduit',
        clockTolerance: 5,
      });
      userId = String(payload.sub);
    } catch {
      return reply.code(401).send({ error: 'invalid token' });
    }
    const sessionId = request.params.id;
    const botId = randomUUID();
    const now = new Date();
    const messages = [
      { id: randomUUID(), sender: 'user', content: request.body.text },
      { id: randomUUID(), sender: 'bot', content: ANSWER },
    ].map((m) => ({ ...m, session_id: sessionId, user_id: userId, bot_id: botId, created_at: now }));
    const events = messages.map((m) => {
      const id = randomUUID();
      const subject = 'conversation.message.created';
      const data = { messageId: m.id, sessionId, botId, userId, sender: m.sender, tokensIn: 0, tokensOut: 0 };
      return { id, subject, payload: sql.json({ id, subject, version: 1, occurredAt: now, data }) };
    });
    const rows = await sql.begin(async (tx) => {
      const rows = await tx`insert into bench_floor.message_history ${tx(messages)} returning *`;
      await tx`insert into bench_floor.outbox ${tx(events)}`;
      return rows;
    });
    return reply.code(201).send({
      messages: rows.map((m) => ({
        id: m.id,
        sessionId: m.session_id,
        sender: m.sender,
        content: m.content,
        createdAt: m.created_at.toISOString(),
      })),
    });
  },
);
app.get('/ready', async () => ({ ok: true }));

await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' });
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(
    signal,
    () => void app.close().then(() => sql.end({ timeout: 2 }).then(() => process.exit(0))),
  );
