import { runMigrate } from '@conduit/runtime';
import { mailService } from './service.js';

/** `pnpm --filter @conduit/email-sync migrate`: applies email-sync's migrations and exits. */
await runMigrate(mailService);
