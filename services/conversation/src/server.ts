import { runHttp } from '@conduit/runtime';
import { conversationService } from './service.js';

await runHttp(conversationService);
