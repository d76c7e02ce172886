import { runMigrate } from '@conduit/runtime';
import { knowledgeService } from './service.js';

/** `pnpm --filter @conduit/knowledge-base migrate`: applies knowledge-base's migrations and exits. */
await runMigrate(knowledgeService);
