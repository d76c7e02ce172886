import { defineConfig } from 'vitest/config';

// The drivers' tests move megabytes through a real S3 server; a loaded machine needs more than
// vitest's default 5 s.
export default defineConfig({
  test: { testTimeout: 60_000, hookTimeout: 60_000 },
});
