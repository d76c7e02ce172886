import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Loads the nearest `.env` above `from` into process.env without overriding what is already set,
 * so a developer's shell and the container's environment always win.
 */
export function loadDotEnv(from: string = process.cwd()): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const file = join(dir, '.env');
    if (existsSync(file)) {
      process.loadEnvFile(file);
      return file;
    }
    if (dirname(dir) === dir) return undefined;
  }
}
