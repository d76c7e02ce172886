import { loadDotEnv } from '@conduit/config';
import { createLogger } from '@conduit/service-kit';
import { loadEnv } from './env.js';
import { migrateIdentity } from './runtime.js';

/** `pnpm --filter @conduit/identity migrate`: apply identity's migrations and exit. */
loadDotEnv();
const env = loadEnv();
const ran = await migrateIdentity(
  env,
  createLogger({ service: 'identity-migrate', level: env.LOG_LEVEL, pretty: env.LOG_PRETTY }),
);
console.log(ran.length ? `identity: applied ${ran.join(', ')}` : 'identity: up to date');
