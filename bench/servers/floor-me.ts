import Fastify from 'fastify';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import postgres from 'postgres';

// The floor of an authenticated read: what `GET /v1/me` cannot do with less. The same access token
// checked the same way (EdDSA against identity's JWKS, issuer, audience), then one postgres.js
// `select` of the user row, answered as JSON. No transaction, no row-level security, no session
// check, no validation or schema serialization, no logger, no spans: what identity does beyond
// this is what the gateway scenario's ratios put a number on.
const keys = createRemoteJWKSet(new URL(`${process.env.IDENTITY_URL}/.well-known/jwks.json`));
const sql = postgres(process.env.DATABASE_URL!, { max: 10, onnotice: () => {} });

const app = Fastify({ logger: false });
app.get('/v1/me', async (request, reply) => {
  const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
  if (!token) return reply.code(401).send({ error: 'no token' });
  let userId: string;
  try {
    const { payload } = await jwtVerify(token, keys, {
      algorithms: ['EdDSA'],
      issuer: 'conduit-identity',
      audience: 'conduit',
      clockTolerance: 5,
    });
    userId = String(payload.sub);
  } catch {
    return reply.code(401).send({ error: 'invalid token' });
  }
  const [user] = await sql`
    select id, email, username, name, organization_id, active, created_at
    from identity.users where id = ${userId}`;
  if (!user) return reply.code(404).send({ error: 'no such user' });
  return {
    id: user.id,
    email: user.email,
    username: user.username,
    name: user.name,
    organizationId: user.organization_id,
    active: user.active,
    createdAt: user.created_at.toISOString(),
  };
});
app.get('/ready', async () => ({ ok: true }));

await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' });
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(
    signal,
    () => void app.close().then(() => sql.end({ timeout: 2 }).then(() => process.exit(0))),
  );
