import { defineConfig } from 'vitest/config';

// These tests start whole services (often as processes) and wait for what they do in the
// background, so they get the same generous timeouts as the services' own integration tests.
// --no-node-snapshot: RUN JAVASCRIPT's isolates (isolated-vm) in the services started in-process.
export default defineConfig({
  test: { testTimeout: 60_000, hookTimeout: 90_000, fileParallelism: true, execArgv: ['--no-node-snapshot'] },
});
