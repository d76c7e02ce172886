import { runWorker } from '@conduit/runtime';
import { identityService } from './service.js';

/** Identity's job worker: scales apart from the HTTP side. */
await runWorker(identityService);
