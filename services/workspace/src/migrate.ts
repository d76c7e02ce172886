import { runMigrate } from '@conduit/runtime';
import { workspaceService } from './service.js';

/** `pnpm --filter @conduit/workspace migrate`: applies the workspace's migrations and exits. */
await runMigrate(workspaceService);
