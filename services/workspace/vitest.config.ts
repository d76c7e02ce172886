import { defineConfig } from 'vitest/config';

// Integration tests wait for real background work (the bus, a worker restarted as a child
// process) with polls of up to 30 s, which vitest's default 5 s test timeout would cut short.
export default defineConfig({
  test: { testTimeout: 60_000, hookTimeout: 60_000, fileParallelism: true },
});
