import { routeGroup, type ServiceApp } from '@conduit/service-kit';
import { z } from 'zod';

const jwk = z.object({
  kty: z.string(),
  crv: z.string().optional(),
  x: z.string().optional(),
  kid: z.string(),
  alg: z.string().optional(),
  use: z.string().optional(),
});

/** The public keys that verify access tokens, for the gateway and every service. */
export function jwksRoutes(app: ServiceApp, jwks: () => Promise<{ keys: unknown[] }>) {
  routeGroup(app, { tags: ['auth'], security: null }).get(
    '/.well-known/jwks.json',
    {
      summary: 'Public keys of access tokens (JWKS)',
      response: z.object({ keys: z.array(jwk) }),
      problems: [],
    },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return (await jwks()) as { keys: z.infer<typeof jwk>[] };
    },
  );
}
