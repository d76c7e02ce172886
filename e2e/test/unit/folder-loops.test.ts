import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { describeFolderLoop, folderGraph, folderLoops } from '../../src/folder-graph.js';

// Issue #10: no folder loops in any service's or package's `src`. How folders, parents and
// children, index re-exports and type imports count is written in src/folder-graph.ts.
const root = fileURLToPath(new URL('../../..', import.meta.url));
const sourceTrees = ['services', 'packages'].flatMap((group) =>
  readdirSync(join(root, group))
    .map((name) => `${group}/${name}/src`)
    .filter((tree) => existsSync(join(root, tree))),
);

describe('folder loops', () => {
  it('finds the source trees of every service and package', () => {
    expect(sourceTrees).toContain('services/conversation/src');
    expect(sourceTrees).toContain('packages/runtime/src');
  });

  it('has no loop of folders in any src', () => {
    const report = sourceTrees.flatMap((tree) =>
      folderLoops(folderGraph(join(root, tree))).map((loop) => `${tree}:\n${describeFolderLoop(loop)}`),
    );
    expect(report.join('\n\n'), 'folders whose files import each other in a loop').toBe('');
  });
});
