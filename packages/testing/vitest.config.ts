import { defineConfig } from 'vitest/config';

// These tests start Dovecot and talk to it over TCP: on a busy machine a login or a delivery
// can take longer than vitest's default 5 s.
export default defineConfig({
  test: { testTimeout: 30_000, hookTimeout: 60_000 },
});
