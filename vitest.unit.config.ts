import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// `pnpm test:unit`: every package's and service's test/unit in one vitest process, as projects.
// One process transforms the shared packages once and shares one worker pool, where a vitest per
// package (24 of them) spent most of the time starting and importing. Each project keeps its own
// vitest.config.ts (timeouts, Node flags). `pnpm --filter <pkg> test:unit` still runs one alone.
// The workspace's packages (pnpm-workspace.yaml): packages/*, services/*, bench, deploy, e2e.
const dirs = [
  ...['packages', 'services'].flatMap((group) =>
    readdirSync(group, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => join(group, entry.name)),
  ),
  'bench',
  'deploy',
  'e2e',
].filter((dir) => existsSync(join(dir, 'test/unit')));

export default defineConfig({
  test: {
    projects: dirs.map((dir) => ({
      extends: existsSync(join(dir, 'vitest.config.ts')) ? join(dir, 'vitest.config.ts') : undefined,
      root: dir,
      test: { name: dir, include: ['test/unit/**/*.test.ts'] },
    })),
  },
});
