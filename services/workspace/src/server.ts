import { runHttp } from '@conduit/runtime';
import { workspaceService } from './service.js';

await runHttp(workspaceService);
