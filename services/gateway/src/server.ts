import { runHttp } from '@conduit/runtime';
import { gatewayService } from './service.js';

await runHttp(gatewayService);
