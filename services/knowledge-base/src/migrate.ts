import { loadDotEnv } from '@conduit/config';
import { createLogger } from '@conduit/service-kit';
import { loadEnv } from './env.js';
import { migrateKnowledge } from './runtime.js';

/** `pnpm --filter @conduit/knowledge-base migrate`: apply knowledge-base's migrations and exit. */
loadDotEnv();
const env = loadEnv();
const ran = await migrateKnowledge(
  env,
  createLogger({ service: 'knowledge-base-migrate', level: env.LOG_LEVEL, pretty: env.LOG_PRETTY }),
);
console.log(ran.length ? `knowledge-base: applied ${ran.join(', ')}` : 'knowledge-base: up to date');
