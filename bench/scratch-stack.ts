import { registerBenchUser } from './harness/bench-user.js';
import { cleanUpAll, cleanUpOnSignals } from './harness/cleanup.js';
import { startIsolatedStack } from './harness/isolated-stack.js';

cleanUpOnSignals();
try {
  const stack = await startIsolatedStack({ gateway: true });
  const user = await registerBenchUser(stack.gateway!.url);
  console.log(JSON.stringify({ identity: stack.identity.url, gateway: stack.gateway!.url, ...user }));
  await new Promise(() => {});
} catch (e) {
  console.error(e);
  await cleanUpAll();
}
