import { compile, type Program, run } from '@conduit/basic';
import { z } from 'zod';
import { asItem, defineNodeType, mapItems, NodeError } from './node-type.js';

const MAX_STEPS = 1_000_000;
const programs = new Map<string, Program>();

/** Compiled once per source text (compiling is deterministic). */
function programFor(source: string): Program {
  const cached = programs.get(source);
  if (cached) return cached;
  const compiled = compile(source);
  if (!compiled.ok) throw new NodeError(`The script does not compile: ${compiled.errors[0]?.message}`, false);
  if (programs.size > 200) programs.delete(programs.keys().next().value as string);
  programs.set(source, compiled.program);
  return compiled.program;
}

/**
 * Runs a BASIC script (@conduit/basic, sandboxed, with a step limit) once per item. The item's
 * fields are its variables (`item` holds it whole); the script's RETURN value, or else its
 * variables, become the item it emits. It has no host: no network, no memory, no mail.
 */
export const codeNode = defineNodeType({
  type: 'code',
  description: 'Runs a BASIC script for each item; what it returns becomes the item.',
  config: z
    .object({
      script: z.string().min(1).max(100_000),
      maxSteps: z.int().min(1).max(MAX_STEPS).default(100_000),
    })
    .strict(),
  outputs: () => ['main'],
  check(config) {
    const compiled = compile(config.script);
    return compiled.ok
      ? []
      : compiled.errors.map((e) => ({
          path: 'script',
          message: `line ${e.line}, column ${e.column}: ${e.message}`,
        }));
  },
  run: async ({ config, items, services }) => ({
    outputs: {
      main: await mapItems(items, async (item) => {
        const result = await run(programFor(config.script), {
          host: {},
          input: { ...item, item },
          limits: { maxSteps: config.maxSteps, maxWallTimeMs: services.env.EXPRESSION_TIMEOUT * 20 },
        });
        if (result.status === 'error')
          throw new NodeError(`Script error at line ${result.error.line}: ${result.error.message}`, false);
        if (result.status !== 'done')
          throw new NodeError('The script waited or asked for input; it may not here.', false);
        return result.value === null || result.value === undefined
          ? asItem(result.variables)
          : asItem(result.value);
      }),
    },
  }),
});
