import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

// The folder-level import graph of one source tree (a service's or a package's `src`), and the
// loops in it. A folder loop (`domain/llm` -> `domain/messages` -> `domain/llm`) means neither
// folder can be read, moved or tested without the other: they are one room with two doors.
//
// A node is a file's directory relative to `src` ('.' for `src` itself), and an edge joins two
// folders of which neither contains the other: siblings (`domain/llm` -> `domain/messages`) or
// cousins (`domain/llm` -> `bus`). An import between a folder and one of its own ancestors is not
// an edge, in either direction. A folder's own files above its subfolders are, by the layout every
// service follows (docs/architecture.md), either the composition root that wires the rooms below
// (`app.ts`, `service.ts` import every route and verb) or the definitions the rooms below share
// (`deps.ts`, `domain/errors.ts`); counting both would make every service one loop through `src`
// and hide the loops that matter among the rooms themselves. Nor are children lifted into their
// parents (`domain/llm` counted as `domain`): job processors (`jobs/processors/`) call verbs while
// verbs enqueue with the catalog above them (`jobs/catalog.ts`), which is layered, yet would read
// as `jobs <-> domain`; the leaf folders show whether a loop really closes.
//
// An import of a folder (`../llm`, `../llm/index.js`) is an edge to that folder: its `index.ts`
// lives there, and what the index re-exports is the index's own edges, so a re-export through an
// index is counted once, honestly, where it is written. `import type` and `export type` count
// too: a type is code the importer depends on and the reader must find, and a loop of types is as
// hard to untangle as a loop of values. Dynamic `import('...')` counts as well. Imports of
// packages (bare names, `node:`) are not edges of this graph; relative imports that leave `src`
// are ignored: what they reach is not a folder of this tree.

/** One import that makes an edge: the importing file and the imported one, relative to `src`. */
export interface ImportSite {
  from: string;
  to: string;
}

/** Folder graph: folder -> folder it imports -> the imports that make that edge. */
export type FolderGraph = Map<string, Map<string, ImportSite[]>>;

const sourceExtensions = ['.ts', '.tsx', '.mts', '.cts'];

function isSourceFile(name: string): boolean {
  return sourceExtensions.some((extension) => name.endsWith(extension)) && !name.endsWith('.d.ts');
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.isFile() && isSourceFile(entry.name) ? [path] : [];
  });
}

/**
 * The file a relative specifier names, as TypeScript's bundler resolution finds it: the path as
 * written, `.js` written for `.ts`, no extension, or a folder's `index`. Undefined when nothing
 * matches (a JSON file, an asset): such an import has no folder of code at its end.
 */
function resolveRelative(
  importer: string,
  specifier: string,
  files: ReadonlySet<string>,
): string | undefined {
  const base = resolve(dirname(importer), specifier);
  const stem = base.replace(/\.(m|c)?jsx?$/, '');
  const candidates = [
    base,
    ...sourceExtensions.map((extension) => stem + extension),
    ...sourceExtensions.map((extension) => join(base, `index${extension}`)),
  ];
  return candidates.find((candidate) => files.has(candidate));
}

/** A file's folder relative to `src`, with `/` between names on every platform. */
function folderOf(srcDir: string, file: string): string {
  return relative(srcDir, dirname(file)).split(sep).join('/') || '.';
}

/** Whether `outer` is `inner` or one of its ancestors (both relative to `src`). */
function contains(outer: string, inner: string): boolean {
  return outer === inner || outer === '.' || inner.startsWith(`${outer}/`);
}

/** Builds the folder graph of the source tree at `tree` (its `src`) from its files' relative imports. */
export function folderGraph(tree: string): FolderGraph {
  const srcDir = resolve(tree);
  const graph: FolderGraph = new Map();
  // The tree's files, looked up in memory: asking the disk cost a stat per candidate of each import.
  const files = new Set(sourceFiles(srcDir));
  for (const file of files) {
    const from = folderOf(srcDir, file);
    // preProcessFile only scans for import, export-from, import() and require(): no full parse,
    // so a whole monorepo's sources take a fraction of a second.
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName: specifier } of importedFiles) {
      if (!specifier.startsWith('.')) continue;
      const target = resolveRelative(file, specifier, files);
      if (target === undefined) continue;
      const toPath = relative(srcDir, target);
      if (toPath.startsWith('..')) continue;
      const to = folderOf(srcDir, target);
      if (contains(from, to) || contains(to, from)) continue;
      const edges = graph.get(from) ?? new Map<string, ImportSite[]>();
      graph.set(from, edges);
      const sites = edges.get(to) ?? [];
      edges.set(to, sites);
      sites.push({ from: relative(srcDir, file).split(sep).join('/'), to: toPath.split(sep).join('/') });
    }
  }
  return graph;
}

/** The graph's strongly connected components of more than one folder, each sorted. */
function loopComponents(graph: FolderGraph): string[][] {
  const nodes = [
    ...new Set([...graph.keys(), ...[...graph.values()].flatMap((edges) => [...edges.keys()])]),
  ].sort();
  // Tarjan's algorithm: every folder in a component reaches every other, so each edge inside a
  // component lies on at least one loop.
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (node: string) => {
    index.set(node, index.size);
    lowLink.set(node, index.get(node) as number);
    stack.push(node);
    onStack.add(node);
    for (const next of [...(graph.get(node)?.keys() ?? [])].sort()) {
      if (!index.has(next)) {
        visit(next);
        lowLink.set(node, Math.min(lowLink.get(node) as number, lowLink.get(next) as number));
      } else if (onStack.has(next)) {
        lowLink.set(node, Math.min(lowLink.get(node) as number, index.get(next) as number));
      }
    }
    if (lowLink.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) components.push(component.sort());
    }
  };
  for (const node of nodes) if (!index.has(node)) visit(node);
  return components.sort((a, b) => (a[0] as string).localeCompare(b[0] as string));
}

/** At most this many loops are spelled out per component; its edges are always all listed. */
const loopsShownPerComponent = 20;

/**
 * The elementary loops of one component, each starting at its smallest folder (so each is found
 * once), shortest first. A component of a few folders has a few loops; the cap keeps a tangle
 * readable, and the component's edge list below it still names every import to untangle.
 */
function loopsIn(graph: FolderGraph, component: string[]): string[][] {
  const members = new Set(component);
  const loops: string[][] = [];
  for (const start of component) {
    const walk = (node: string, path: string[]) => {
      for (const next of [...(graph.get(node)?.keys() ?? [])].sort()) {
        if (!members.has(next)) continue;
        if (next === start) loops.push([...path, start]);
        else if (next > start && !path.includes(next)) walk(next, [...path, next]);
      }
    };
    walk(start, [start]);
  }
  return loops.sort((a, b) => a.length - b.length).slice(0, loopsShownPerComponent);
}

/** A folder loop: the folders that reach one another, its loops, and every import inside it. */
export interface FolderLoop {
  folders: string[];
  loops: string[][];
  edges: { from: string; to: string; sites: ImportSite[] }[];
}

/** Every folder loop of the graph, empty when its folders are layered. */
export function folderLoops(graph: FolderGraph): FolderLoop[] {
  return loopComponents(graph).map((folders) => ({
    folders,
    loops: loopsIn(graph, folders),
    edges: folders.flatMap((from) =>
      [...(graph.get(from) ?? new Map<string, ImportSite[]>()).entries()]
        .filter(([to]) => folders.includes(to))
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([to, sites]) => ({ from, to, sites })),
    ),
  }));
}

/** A loop as a reader needs it to untangle: the loops, then each edge with the imports making it. */
export function describeFolderLoop(loop: FolderLoop): string {
  return [
    ...loop.loops.map((folders) => `  ${folders.join(' -> ')}`),
    ...loop.edges.flatMap(({ from, to, sites }) => [
      `    ${from} -> ${to}:`,
      ...sites.map((site) => `      ${site.from} imports ${site.to}`),
    ]),
  ].join('\n');
}

/** A loop's folder edges, each written `from -> to`. */
export function loopEdges(loop: FolderLoop): string[] {
  return loop.edges.map(({ from, to }) => `${from} -> ${to}`);
}
