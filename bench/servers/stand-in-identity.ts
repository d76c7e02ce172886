import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

// Identity as far as a proxied `GET /v1/me` needs it, at next to no cost: the key set that checks
// its access tokens, one such token (GET /token), and every other path answered with a fixed user
// as identity answers it. What a proxy in front of it spends per request is then almost all the
// proxy's own (the gateway-overhead scenario).
const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
const keySet = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'stand-in', alg: 'EdDSA' }] });
const userId = randomUUID();
const token = await new SignJWT({ sid: randomUUID(), org: null, teams: {}, perms: [], adm: false })
  .setProtectedHeader({ alg: 'EdDSA', kid: 'stand-in' })
  .setSubject(userId)
  .setIssuer('conduit-identity')
  .setAudience('conduit')
  .setIssuedAt()
  .setExpirationTime('12h')
  .sign(privateKey);
const user = JSON.stringify({
  id: userId,
  email: 'bench-user@example.com',
  username: null,
  name: 'Bench User',
  organizationId: null,
  active: true,
  createdAt: new Date().toISOString(),
});

const server = createServer((request, response) => {
  if (request.url === '/.well-known/jwks.json') {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(keySet);
  } else if (request.url === '/token') {
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.end(token);
  } else {
    response.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(user),
      'x-request-id': request.headers['x-request-id'] ?? randomUUID(),
    });
    response.end(user);
  }
});
server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(signal, () => server.close(() => process.exit(0)));
