import { z } from 'zod';
import { baseEnv, databaseUrlFor } from './base-env.js';
import { envDuration, envList } from './env-types.js';
import { parseEnv } from './parse-env.js';

/** A keyring usable on a developer machine only; production refuses to start without its own. */
export const DEV_ENCRYPTION_KEYS = '1:ZGV2LW9ubHkta2V5LWRvLW5vdC11c2UtaW4tcHJvZCE=';

/** What every service process reads on top of the base: its Redis keys, proxies, and how long it may take to stop. */
export const serviceEnv = baseEnv.extend({
  REDIS_KEY_PREFIX: z.string().default('conduit:'),
  /** Addresses whose X-Forwarded-For is believed: the gateway in front of a service. */
  TRUST_PROXY: envList('loopback,uniquelocal'),
  /** Identity, whose JWKS verifies access tokens. */
  IDENTITY_URL: z.url().default('http://127.0.0.1:4001'),
  /** How long a stopping process may take to finish its requests and jobs before it exits anyway. */
  SHUTDOWN_GRACE: envDuration('10s'),
});
export type ServiceEnv = z.output<typeof serviceEnv>;

/** For services that seal secrets at rest: `<version>:<base64 32 bytes>,...`; the highest version encrypts. */
export const encryptionKeysEnv = { ENCRYPTION_KEYS: z.string().default(DEV_ENCRYPTION_KEYS) };

/**
 * Parses a service's environment once, at boot, and adds the URL of the database it owns
 * (`<SCHEMA>_DATABASE_URL`, else `DATABASE_URL`) as `SERVICE_DATABASE_URL`. Production refuses the
 * development keyring.
 */
export function loadServiceEnv<S extends z.ZodType<ServiceEnv>>(
  schema: S,
  databaseSchema: string,
  source: NodeJS.ProcessEnv = process.env,
): z.output<S> & { SERVICE_DATABASE_URL: string } {
  const parsed = parseEnv(schema, source) as z.output<S> & { ENCRYPTION_KEYS?: string };
  if (parsed.NODE_ENV === 'production' && parsed.ENCRYPTION_KEYS === DEV_ENCRYPTION_KEYS) {
    throw new Error('ENCRYPTION_KEYS must be set in production (the built-in key is for development only)');
  }
  return { ...parsed, SERVICE_DATABASE_URL: databaseUrlFor(databaseSchema, source, parsed.DATABASE_URL) };
}
