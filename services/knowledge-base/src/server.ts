import { runHttp } from '@conduit/runtime';
import { knowledgeService } from './service.js';

await runHttp(knowledgeService);
