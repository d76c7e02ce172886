import type { BackgroundTask } from '@conduit/runtime';
import type { MailDeps } from '../deps.js';

export const idleWatcher: BackgroundTask<MailDeps> = {
  name: 'idle-watcher',
  start: async () => ({ stop: async () => {} }),
};
