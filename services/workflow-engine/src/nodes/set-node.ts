import { z } from 'zod';
import { defineNodeType, type Item, mapItems } from './node-type.js';

/** Sets fields of each item to values (expressions over the item and the run). */
export const setNode = defineNodeType({
  type: 'set',
  pure: true,
  description: 'Sets fields of each item; values may be {{ expressions }}.',
  config: z
    .object({
      fields: z.array(z.object({ name: z.string().min(1).max(200), value: z.unknown() }).strict()).max(100),
      /** Emit only the fields set here, not the rest of the item. */
      keepOnlySet: z.boolean().default(false),
    })
    .strict(),
  outputs: () => ['main'],
  run: async ({ config, items, resolve }) => ({
    outputs: {
      main: await mapItems(items, async (item, index) => {
        const out: Item = config.keepOnlySet ? {} : { ...item };
        for (const field of config.fields) out[field.name] = await resolve(field.value, index);
        return out;
      }),
    },
  }),
});
