import { runMigrate } from '@conduit/runtime';
import { identityService } from './service.js';

/** `pnpm --filter @conduit/identity migrate`: applies identity's migrations and exits. */
await runMigrate(identityService);
