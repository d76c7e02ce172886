import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// A real Node started as a misconfigured server would be (NODE_OPTIONS without
// --no-node-snapshot): RUN JAVASCRIPT says why it is unavailable instead of crashing.

describe('RUN JAVASCRIPT without --no-node-snapshot', () => {
  it('reports RUN JAVASCRIPT unavailable in a Node started without --no-node-snapshot', () => {
    const entry = fileURLToPath(new URL('../../src/index.ts', import.meta.url));
    const { NODE_OPTIONS: _dropped, ...env } = process.env;
    const child = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { javaScriptAvailability, runJavaScript } = await import(${JSON.stringify(entry)});
         const error = await runJavaScript('1', { memoryMb: 16, timeoutMs: 1000 }).catch((e) => e);
         console.log(JSON.stringify({ availability: javaScriptAvailability(), code: error.code }));`,
      ],
      { cwd: fileURLToPath(new URL('../..', import.meta.url)), env, encoding: 'utf8', timeout: 60_000 },
    );
    expect(child.stderr).toBe('');
    expect(JSON.parse(child.stdout)).toEqual({
      availability: {
        available: false,
        reason:
          'RUN JAVASCRIPT is unavailable on this server: Node must be started with --no-node-snapshot (NODE_OPTIONS)',
      },
      code: 'unavailable',
    });
  });
});
