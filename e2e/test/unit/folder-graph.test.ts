import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { folderGraph, folderLoops, loopEdges } from '../../src/folder-graph.js';

const trees: string[] = [];

/** Writes a small source tree (path -> text) and returns its `src`. */
function sourceTree(files: Record<string, string>): string {
  const src = join(mkdtempSync(join(tmpdir(), 'folder-graph-')), 'src');
  trees.push(dirname(src));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(src, path)), { recursive: true });
    writeFileSync(join(src, path), text);
  }
  return src;
}

afterAll(() => {
  for (const tree of trees) rmSync(tree, { recursive: true, force: true });
});

describe('folderGraph and folderLoops', () => {
  it('finds a loop made of a type import, a re-export through an index and a dynamic import', () => {
    const src = sourceTree({
      'domain/llm/complete.ts': "import type { Message } from '../messages/index.js';\nexport const x = 1;",
      'domain/messages/index.ts': "export * from './message.js';",
      'domain/messages/message.ts':
        "export type Message = string;\nexport const y = () => import('../tools/run.js');",
      'domain/tools/run.ts': "export { x } from '../llm/complete.js';",
    });
    const loops = folderLoops(folderGraph(src));
    expect(loops.map((loop) => loop.folders)).toEqual([['domain/llm', 'domain/messages', 'domain/tools']]);
    expect(loops[0]?.loops).toEqual([['domain/llm', 'domain/messages', 'domain/tools', 'domain/llm']]);
    expect(loops.flatMap(loopEdges)).toEqual([
      'domain/llm -> domain/messages',
      'domain/messages -> domain/tools',
      'domain/tools -> domain/llm',
    ]);
    expect(loops[0]?.edges[0]?.sites).toEqual([
      { from: 'domain/llm/complete.ts', to: 'domain/messages/index.ts' },
    ]);
  });

  it('does not count imports between a folder and its ancestors, nor of packages', () => {
    const src = sourceTree({
      'app.ts': "import { route } from './routes/chat.js';\nimport { z } from 'zod';",
      'deps.ts': 'export interface Deps {}',
      'routes/chat.ts':
        "import type { Deps } from '../deps.js';\nimport { reply } from '../domain/replies/reply.js';",
      'domain/errors.ts': "import { reply } from './replies/reply.js';",
      'domain/replies/reply.ts': "import '../errors.js';\nimport type { Deps } from '../../deps.js';",
    });
    expect(folderLoops(folderGraph(src))).toEqual([]);
    expect(folderGraph(src).get('routes')?.get('domain/replies')).toEqual([
      { from: 'routes/chat.ts', to: 'domain/replies/reply.ts' },
    ]);
  });
});
