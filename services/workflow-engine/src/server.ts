import { runHttp } from '@conduit/runtime';
import { workflowService } from './service.js';

await runHttp(workflowService);
