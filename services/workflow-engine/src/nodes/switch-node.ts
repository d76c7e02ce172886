import { z } from 'zod';
import { isTruthy } from './if-node.js';
import { defineNodeType, type Item } from './node-type.js';

/** Sends each item to the output of the first rule it matches (`case:<n>`), else to `default`. */
export const switchNode = defineNodeType({
  type: 'switch',
  pure: true,
  description: 'Routes each item to case:<n> of the first matching rule, or to default.',
  config: z
    .object({
      rules: z
        .array(z.object({ condition: z.unknown() }).strict())
        .min(1)
        .max(32),
      /** Items no rule matches go to `default` (else they are dropped). */
      fallback: z.boolean().default(true),
    })
    .strict(),
  outputs: (config) => [...config.rules.map((_, i) => `case:${i}`), ...(config.fallback ? ['default'] : [])],
  run: async ({ config, items, resolve }) => {
    const outputs: Record<string, Item[]> = {};
    for (let i = 0; i < items.length; i++) {
      let port = config.fallback ? 'default' : undefined;
      for (let r = 0; r < config.rules.length; r++) {
        if (isTruthy(await resolve(config.rules[r]!.condition, i))) {
          port = `case:${r}`;
          break;
        }
      }
      if (!port) continue;
      outputs[port] = [...(outputs[port] ?? []), items[i]!];
    }
    return { outputs };
  },
});
