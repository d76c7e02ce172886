import { loadDotEnv } from '@conduit/config';
import { createLogger } from '@conduit/service-kit';
import { loadEnv } from './env.js';
import { migrateConversation } from './runtime.js';

/** `pnpm --filter @conduit/conversation migrate`: apply conversation's migrations and exit. */
loadDotEnv();
const env = loadEnv();
const ran = await migrateConversation(
  env,
  createLogger({ service: 'conversation-migrate', level: env.LOG_LEVEL, pretty: env.LOG_PRETTY }),
);
console.log(ran.length ? `conversation: applied ${ran.join(', ')}` : 'conversation: up to date');
