import { defineConfig } from 'vitest/config';

// test/unit: settings and keywords, fast. test/integration: real sandboxes (bubblewrap processes, V8
// isolates, a Node started without its addon), which wait on their own time and memory limits.
// isolated-vm asks Node 20 and later to start without its startup snapshot. Sandboxes start real
// processes and isolates: on a busy machine that can take longer than vitest's default 5 s.
export default defineConfig({
  test: { execArgv: ['--no-node-snapshot'], testTimeout: 60_000, hookTimeout: 60_000 },
});
