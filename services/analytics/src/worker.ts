import { runWorker } from '@conduit/runtime';
import { analyticsService } from './service.js';

/** The stream consumers and the event table's upkeep: scale apart from the HTTP side. */
await runWorker(analyticsService);
