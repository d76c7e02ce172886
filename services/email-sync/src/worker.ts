import { runWorker } from '@conduit/runtime';
import { mailService } from './service.js';

/** The sync worker: syncs accounts, holds their IDLE connections, sends mail; scales apart from HTTP. */
await runWorker(mailService);
