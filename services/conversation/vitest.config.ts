import { defineConfig } from 'vitest/config';

// RUN JAVASCRIPT's isolates (isolated-vm) need Node 20 started without its startup snapshot, as
// the service itself runs (scripts/start.ts, the image's NODE_OPTIONS).
export default defineConfig({
  test: { testTimeout: 30_000, hookTimeout: 60_000, fileParallelism: true, execArgv: ['--no-node-snapshot'] },
});
