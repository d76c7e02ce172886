import { runWorker } from '@conduit/runtime';
import { conversationService } from './service.js';

/** Conversation's job worker (upkeep of widget visitors): scales apart from the HTTP side. */
await runWorker(conversationService);
