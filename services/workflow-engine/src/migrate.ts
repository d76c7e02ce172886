import { runMigrate } from '@conduit/runtime';
import { workflowService } from './service.js';

/** `pnpm --filter @conduit/workflow-engine migrate`: applies workflow-engine's migrations and exits. */
await runMigrate(workflowService);
