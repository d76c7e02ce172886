import { z } from 'zod';
import { codeNode } from './code-node.js';
import { eventTrigger } from './event-trigger.js';
import { executeWorkflowNode } from './execute-workflow-node.js';
import { httpRequestNode } from './http-request-node.js';
import { ifNode } from './if-node.js';
import { kbSearchNode } from './kb-search-node.js';
import { llmNode } from './llm-node.js';
import { loopNode } from './loop-node.js';
import { manualTrigger } from './manual-trigger.js';
import { mergeNode } from './merge-node.js';
import { noOpNode } from './no-op-node.js';
import type { NodeType } from './node-type.js';
import { respondToWebhookNode } from './respond-to-webhook-node.js';
import { scheduleTrigger } from './schedule-trigger.js';
import { setNode } from './set-node.js';
import { stopAndErrorNode } from './stop-and-error-node.js';
import { switchNode } from './switch-node.js';
import { waitNode } from './wait-node.js';
import { webhookTrigger } from './webhook-trigger.js';

/** Every node type, by name. Adding one is adding its module and a line here. */
export const nodeTypes: Record<string, NodeType> = Object.fromEntries(
  (
    [
      manualTrigger,
      webhookTrigger,
      scheduleTrigger,
      eventTrigger,
      setNode,
      ifNode,
      switchNode,
      mergeNode,
      noOpNode,
      stopAndErrorNode,
      httpRequestNode,
      codeNode,
      kbSearchNode,
      llmNode,
      executeWorkflowNode,
      loopNode,
      waitNode,
      respondToWebhookNode,
    ] as NodeType[]
  ).map((type) => [type.type, type]),
);

/** The catalog as `GET /v1/workflows/node-types` lists it: each config schema as JSON Schema. */
export function describeNodeTypes() {
  return Object.values(nodeTypes).map((type) => ({
    type: type.type,
    description: type.description,
    trigger: type.trigger !== undefined,
    configSchema: z.toJSONSchema(type.config, { io: 'input', unrepresentable: 'any' }) as Record<
      string,
      unknown
    >,
  }));
}
