import { runMigrate } from '@conduit/runtime';
import { analyticsService } from './service.js';

/** `pnpm --filter @conduit/analytics migrate`: applies analytics' migrations and exits. */
await runMigrate(analyticsService);
