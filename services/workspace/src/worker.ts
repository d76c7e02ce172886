import { runWorker } from '@conduit/runtime';
import { workspaceService } from './service.js';

/** The object store's upkeep: scale apart from the HTTP side. */
await runWorker(workspaceService);
