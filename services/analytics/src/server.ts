import { runHttp } from '@conduit/runtime';
import { analyticsService } from './service.js';

await runHttp(analyticsService);
