/** `pnpm migrate`: applies every service's migrations (services also do this as they start). */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { baseEnv, loadDotEnv, parseEnv } from '@conduit/config';
import { ensureDatabase } from './infrastructure.js';
import { clusterProcesses } from './services.js';

const root = fileURLToPath(new URL('..', import.meta.url));
loadDotEnv(root);
await ensureDatabase(parseEnv(baseEnv, process.env).DATABASE_URL);
for (const service of clusterProcesses) {
  // Workers share their service's migrations (and would not exit): only servers have a migrate.ts.
  if (!service.entry.endsWith('/server.ts')) continue;
  const entry = service.entry.replace(/server\.ts$/, 'migrate.ts');
  if (existsSync(`${root}/${entry}`))
    execFileSync(process.execPath, ['--import', 'tsx', entry], { cwd: root, stdio: 'inherit' });
}
