import { runServer } from '@conduit/service-kit';
import { bootIdentityProcess } from './boot.js';
import { startIdentity } from './runtime.js';

const { env, log, telemetry } = await bootIdentityProcess('identity');
const { app } = await startIdentity(env, log);
app.addHook('onClose', () => telemetry.shutdown());
await runServer(app, { port: env.IDENTITY_PORT, host: env.IDENTITY_HOST });
