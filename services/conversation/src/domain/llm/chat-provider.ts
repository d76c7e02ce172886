import type { knowledgeRpc } from '@conduit/contracts';

export type SearchHit = knowledgeRpc.SearchHit;

export interface ToolCall {
  id: string;
  name: string;
  /** JSON text, as the model wrote it (it may not parse). */
  arguments: string;
}

export type ChatMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls?: ToolCall[] }
  | { role: 'tool'; content: string; toolCallId: string; name: string };

export interface ToolSpec {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

export type ChatEvent =
  | { type: 'delta'; text: string }
  | { type: 'tool_call'; call: ToolCall }
  | { type: 'usage'; tokensIn: number; tokensOut: number };

export interface GenerateRequest {
  model: string;
  messages: ChatMessage[];
  tools: ToolSpec[];
  /** Passages from the session's knowledge bases, best first. */
  knowledge: SearchHit[];
  maxTokens: number;
  /** Sampling temperature (0-2); the provider's default when undefined. */
  temperature?: number | undefined;
  /** Aborted when the reply must stop (the service is closing); the provider must end promptly. */
  signal: AbortSignal;
}

/**
 * One LLM behind one interface: a stream of text deltas, tool calls and a final usage. A failure
 * is thrown as ProviderError with a message fit for the user; nothing may hang (timeouts).
 */
export interface ChatProvider {
  readonly kind: 'offline' | 'openai-compatible';
  generate(request: GenerateRequest): AsyncIterable<ChatEvent>;
}

export class ProviderError extends Error {
  constructor(
    /** Shown to the user as is: no internals, no keys. */
    readonly userMessage: string,
    readonly code: 'timeout' | 'unreachable' | 'refused' | 'rate_limited' | 'provider_error' | 'bad_response',
  ) {
    super(userMessage);
    this.name = 'ProviderError';
  }
}

/** A rough token count (4 characters a token), for reservations and the offline provider. */
export const estimateTokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));
