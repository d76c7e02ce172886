import { runMigrate } from '@conduit/runtime';
import { conversationService } from './service.js';

/** `pnpm --filter @conduit/conversation migrate`: applies conversation's migrations and exits. */
await runMigrate(conversationService);
