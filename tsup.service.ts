import { existsSync } from 'node:fs';
import { defineConfig } from 'tsup';

/**
 * How a service is built for its container: its entrypoints bundled into dist/ with the
 * workspace packages inlined (they are TypeScript sources) and every third-party package left to
 * node_modules, which the image installs flat (node-linker=hoisted) so that all of them resolve.
 */
export default defineConfig({
  entry: ['src/server.ts', 'src/worker.ts', 'src/migrate.ts'].filter((entry) => existsSync(entry)),
  format: 'esm',
  target: 'node20',
  platform: 'node',
  outDir: 'dist',
  splitting: false,
  sourcemap: true,
  clean: true,
  noExternal: [/^@conduit\//],
  external: [/^(?!@conduit\/|\.|\/)/],
});
