import { defineConfig } from 'vitest/config';

// `pnpm test:unit`: every package's and service's test/unit, in one vitest project and one module
// graph, so it runs in seconds (issue #10). What it costs is importing, not testing: zod, fastify,
// pdf-lib, the shared packages. As projects (one per package) with isolated files, each file's
// worker imported them again and each project transformed them again: 60 CPU-seconds for 10 of
// tests. Here each worker imports a module once for all the files it runs.
// Files share module state: a unit test leaves no global behind (fake timers are put back, the
// environment is passed to `loadEnv`, not set). A test that starts processes, servers or
// databases belongs in test/integration, which `pnpm test` runs per package with its own config.
// `pnpm --filter <pkg> test:unit` still runs one package alone, with that package's config.
export default defineConfig({
  test: {
    include: ['{packages,services}/*/test/unit/**/*.test.ts', '{bench,deploy,e2e}/test/unit/**/*.test.ts'],
    isolate: false,
    pool: 'forks',
    // What the packages' own configs ask for: isolated-vm (sandbox, conversation, the workflow
    // engine) needs Node without its startup snapshot; the largest of their timeouts, as a loaded
    // machine makes a property test or a PDF of many pages take seconds.
    execArgv: ['--no-node-snapshot'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Transformed modules are kept in node_modules/.experimental-vitest-cache, keyed by their
    // content, so a rerun transforms only what changed (the default from vitest 5 on).
    experimental: { fsModuleCache: true },
  },
});
