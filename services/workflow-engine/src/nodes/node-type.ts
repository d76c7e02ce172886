import type { knowledgeRpc } from '@conduit/contracts';
import type { OutboundHttp } from '@conduit/outbound-http';
import type { z } from 'zod';
import type { CredentialSecret } from '../domain/credentials/credential-secret.js';
import type { OpenedConnection } from '../domain/integrations/open-connection.js';
import type { WorkflowEnv } from '../env.js';

/** One item of data flowing between nodes: a JSON object. */
export type Item = Record<string, unknown>;

/** What a node answers a webhook with (respond-to-webhook). */
export interface WebhookResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** What one run of a node produced: items per output port, or a pause. */
export type NodeOutcome =
  | { outputs: Record<string, Item[]>; respond?: WebhookResponse }
  /** Stop here and continue at this time (no process holds the execution meanwhile). */
  | { waitUntil: Date };

/** What a node's run gets: its configuration, its input, and the services it may use. */
export interface NodeRun<C> {
  config: C;
  /** Every item received, all inputs together, in input order. */
  items: Item[];
  /** Items by input (a merge node has several). */
  inputs: Item[][];
  executionId: string;
  node: { id: string; name: string };
  attempt: number;
  /** True when a waiting node is continued after its wait. */
  resumed: boolean;
  /** What a resume call brought to a webhook wait (`{ body, query }`); null when its time ran out. */
  resumeData: unknown;
  /** Resolves `{{ }}` in a configuration value against item `index`. */
  resolve(value: unknown, index: number): Promise<unknown>;
  /** What a side effect on item `index` is known by (execution, node, item): the same on every retry. */
  idempotencyKey(index: number): string;
  /**
   * The result of `effect` for item `index`, done once across this node's tries in this process: a
   * try after a failure gets the items that succeeded before back instead of doing them (and paying
   * for them) again.
   */
  once<T>(index: number, effect: () => Promise<T>): Promise<T>;
  services: {
    http: OutboundHttp;
    env: WorkflowEnv;
    /** Opens a credential of the workflow's owner by id (undefined: gone, or not theirs). */
    credential(id: string): Promise<CredentialSecret | undefined>;
    /**
     * Opens a connection the workflow's owner may use, by id, at the moment of use (undefined:
     * gone, switched off, or not theirs; throws when its secrets cannot be unsealed).
     */
    connection(id: string): Promise<OpenedConnection | undefined>;
    /** Runs a workflow once per batch as sub-workflows of this node (see runSubWorkflows). */
    subWorkflows(workflowId: string, batches: Item[][]): Promise<SubWorkflowResults>;
    /** rpc.conversation.llm.complete as the workflow's owner, charged to its payer. */
    complete(request: {
      model?: string;
      system?: string;
      prompt: string;
      maxTokens: number;
      /** The same on every try: conversation answers a repeated key with the first completion. */
      idempotencyKey?: string;
    }): Promise<{
      text: string;
      model: string;
      tokens: number;
    }>;
    /** rpc.knowledge.search as the workflow's owner. */
    searchKnowledge(request: {
      collectionIds: string[];
      query: string;
      k: number;
    }): Promise<knowledgeRpc.SearchHit[]>;
  };
}

/**
 * A failure of a node. `retryable: false` fails at once whatever the retry settings (a bad
 * expression, an explicit stop); other failures are tried again up to the node's max tries.
 */
/** What a node's sub-workflows answered: not done yet, or each batch's outputs in batch order. */
export type SubWorkflowResults = { done: false } | { done: true; outputs: Item[][] };

export class NodeError extends Error {
  constructor(
    message: string,
    readonly retryable = true,
  ) {
    super(message);
    this.name = 'NodeError';
  }
}

/** A node type: one module each, listed in catalog.ts. */
export interface NodeType<S extends z.ZodType = z.ZodType> {
  type: string;
  description: string;
  /** Starts executions: has no inputs, emits the execution's input. */
  trigger?: 'manual' | 'webhook' | 'schedule' | 'event';
  config: S;
  /**
   * Its run has no effect outside the execution (it only computes items, or an answer kept with
   * them): run again after a crash, it may compute other items ($now, $random) but nothing outside
   * has seen the first ones. Such a node needs no claim before it runs; it runs in memory and is
   * committed with the pure nodes next to it (see commitPureRuns), durably when a webhook's
   * caller is answered from that commit.
   */
  pure?: true;
  /** Output ports the node may emit on, for its configuration. */
  outputs(config: z.output<S>): string[];
  /** How many inputs it takes (0 for triggers). */
  inputs?(config: z.output<S>): number;
  /** Extra checks of a parsed configuration when a workflow is saved: problems as path -> message. */
  check?(config: z.output<S>): { path: string; message: string }[];
  run(run: NodeRun<z.output<S>>): Promise<NodeOutcome>;
}

export const defineNodeType = <S extends z.ZodType>(type: NodeType<S>): NodeType<S> => type;

/** Runs `each` for every item in turn, keeping order. */
export async function mapItems<T>(
  items: Item[],
  each: (item: Item, index: number) => Promise<T>,
): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < items.length; i++) out.push(await each(items[i]!, i));
  return out;
}

/** An expression result as an item: objects as they are, anything else under `value`. */
export const asItem = (value: unknown): Item =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Item) : { value };
