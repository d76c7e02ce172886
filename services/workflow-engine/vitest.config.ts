import { defineConfig } from 'vitest/config';

// As in conversation: these tests wait for real background work (jobs, the outbox relay, NATS,
// SMTP) with polls of up to 20 s, which vitest's default 5 s test timeout would silently cut short
// on a busy machine.
// RUN JAVASCRIPT in bot automations: isolated-vm needs Node 20 started with --no-node-snapshot.
export default defineConfig({
  test: { testTimeout: 30_000, hookTimeout: 60_000, fileParallelism: true, execArgv: ['--no-node-snapshot'] },
});
