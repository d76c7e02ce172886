import { runWorker } from '@conduit/runtime';
import { knowledgeService } from './service.js';

/** The indexing worker: scales apart from the HTTP side. */
await runWorker(knowledgeService);
