import { runWorker } from '@conduit/runtime';
import { workflowService } from './service.js';

/** The execution worker: runs executions and fires schedules; scales apart from the HTTP side. */
await runWorker(workflowService);
