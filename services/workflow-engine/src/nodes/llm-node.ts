import { z } from 'zod';
import { defineNodeType, type Item, mapItems, NodeError } from './node-type.js';

/**
 * A completion for each item through the conversation service's LLM providers
 * (rpc.conversation.llm.complete), as the workflow's owner: a model they may use (by id or name;
 * absent, their preferred one), its AI credits charged to whoever pays for the workflow. Prompt
 * and system text may be {{ expressions }} over the item. The answer goes into the item under
 * `field`.
 */
export const llmNode = defineNodeType({
  type: 'llm',
  description: 'Asks an LLM (through the conversation service) for each item; the answer goes into the item.',
  config: z
    .object({
      model: z.string().min(1).max(200).optional(),
      system: z.string().min(1).max(8000).optional(),
      prompt: z.string().min(1).max(32_000),
      maxTokens: z.int().min(1).max(8192).default(512),
      field: z.string().min(1).max(100).default('completion'),
    })
    .strict(),
  outputs: () => ['main'],
  run: async ({ config, items, resolve, services, once, idempotencyKey }) => ({
    outputs: {
      main: await mapItems(items, async (item, index): Promise<Item> => {
        const prompt = await resolve(config.prompt, index);
        const system = config.system === undefined ? undefined : await resolve(config.system, index);
        if (typeof prompt !== 'string' || !prompt.trim())
          throw new NodeError('The prompt is not text.', false);
        if (system !== undefined && typeof system !== 'string')
          throw new NodeError('The system text is not text.', false);
        // Each completion is charged: a try after another item failed does not ask this one again,
        // and a worker that takes over after a crash gets the answer the conversation service kept.
        const answer = await once(index, () =>
          services.complete({
            ...(config.model ? { model: config.model } : {}),
            ...(system ? { system } : {}),
            prompt,
            maxTokens: config.maxTokens,
            idempotencyKey: idempotencyKey(index),
          }),
        );
        return { ...item, [config.field]: answer.text };
      }),
    },
  }),
});
