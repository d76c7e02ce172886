import { runHttp } from '@conduit/runtime';
import { identityService } from './service.js';

await runHttp(identityService);
