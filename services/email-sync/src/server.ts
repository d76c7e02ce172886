import { runHttp } from '@conduit/runtime';
import { mailService } from './service.js';

await runHttp(mailService);
