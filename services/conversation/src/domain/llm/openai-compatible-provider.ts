import {
  type ChatEvent,
  type ChatMessage,
  type ChatProvider,
  type GenerateRequest,
  ProviderError,
  type ToolCall,
} from './chat-provider.js';
import { citationOf } from './offline-provider.js';

export interface OpenAiCompatibleOptions {
  /** e.g. `https://api.openai.com/v1` or `http://localhost:11434/v1`. */
  baseUrl: string;
  apiKey: string | null;
  /** Longest wait for the first byte, and for each next chunk of the stream. */
  timeoutMs: number;
}

const wire = (message: ChatMessage) => {
  switch (message.role) {
    case 'assistant':
      return {
        role: 'assistant',
        content: message.content || null,
        ...(message.toolCalls?.length
          ? {
              tool_calls: message.toolCalls.map((c) => ({
                id: c.id,
                type: 'function',
                function: { name: c.name, arguments: c.arguments },
              })),
            }
          : {}),
      };
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
    default:
      return { role: message.role, content: message.content };
  }
};

/** The knowledge-base passages, numbered for citation, as a system message. */
function groundingMessage(request: GenerateRequest): ChatMessage[] {
  if (request.knowledge.length === 0) return [];
  const sources = request.knowledge
    .map((hit, i) => `[${i + 1}] ${citationOf(hit)}\n${hit.content}`)
    .join('\n\n');
  return [
    {
      role: 'system',
      content:
        'Answer from these knowledge-base passages when they are relevant, citing them as [n]. ' +
        `If they do not contain the answer, say so.\n\n${sources}`,
    },
  ];
}

function statusMessage(status: number): ProviderError {
  if (status === 401 || status === 403)
    return new ProviderError(
      'The AI provider refused the API key; ask an administrator to check the provider settings.',
      'refused',
    );
  if (status === 429)
    return new ProviderError(
      'The AI provider is busy (rate limited); please try again in a moment.',
      'rate_limited',
    );
  if (status === 404)
    return new ProviderError(
      'The AI provider does not know this model; ask an administrator to check the model settings.',
      'refused',
    );
  if (status >= 500)
    return new ProviderError(
      `The AI provider failed (HTTP ${status}); please try again later.`,
      'provider_error',
    );
  return new ProviderError(`The AI provider rejected the request (HTTP ${status}).`, 'provider_error');
}

interface StreamChunk {
  choices?: {
    delta?: {
      content?: string | null;
      tool_calls?: { index?: number; id?: string; function?: { name?: string; arguments?: string } }[];
    };
    finish_reason?: string | null;
  }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: { message?: string };
}

/**
 * Speaks `POST <baseUrl>/chat/completions` with `stream: true`: Server-Sent Events of chunks whose
 * `delta` carries text and `tool_calls` (assembled by index), ending with `[DONE]`. A provider that
 * does not answer, or goes silent mid-stream, for `timeoutMs` is cut off.
 */
export class OpenAiCompatibleProvider implements ChatProvider {
  readonly kind = 'openai-compatible' as const;

  constructor(private readonly options: OpenAiCompatibleOptions) {}

  async *generate(request: GenerateRequest): AsyncIterable<ChatEvent> {
    const idle = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = true;
        idle.abort();
      }, this.options.timeoutMs);
    };
    const signal = AbortSignal.any([request.signal, idle.signal]);
    const seconds = Math.round(this.options.timeoutMs / 100) / 10;
    const failure = (error: unknown): ProviderError => {
      if (error instanceof ProviderError) return error;
      if (timedOut)
        return new ProviderError(
          `The AI provider did not answer within ${seconds} s; please try again.`,
          'timeout',
        );
      if (request.signal.aborted) return new ProviderError('The reply was interrupted.', 'timeout');
      return new ProviderError(
        'The AI provider could not be reached; please try again later.',
        'unreachable',
      );
    };

    arm();
    let response: Response;
    try {
      response = await fetch(`${this.options.baseUrl.replace(/\/+$/, '')}/chat/completions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'text/event-stream',
          ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
        },
        body: JSON.stringify({
          model: request.model,
          stream: true,
          stream_options: { include_usage: true },
          max_tokens: request.maxTokens,
          ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
          messages: [...groundingMessage(request), ...request.messages].map(wire),
          ...(request.tools.length
            ? {
                tools: request.tools.map((t) => ({
                  type: 'function',
                  function: { name: t.name, description: t.description, parameters: t.parameters },
                })),
              }
            : {}),
        }),
        signal,
      });
    } catch (error) {
      clearTimeout(timer);
      throw failure(error);
    }
    if (!response.ok || !response.body) {
      clearTimeout(timer);
      await response.body?.cancel().catch(() => {});
      throw statusMessage(response.status);
    }

    const calls = new Map<number, ToolCall>();
    let usage: { tokensIn: number; tokensOut: number } | undefined;
    const decoder = new TextDecoder();
    let buffer = '';
    let done = false;
    const reader = response.body.getReader();
    try {
      while (!done) {
        arm();
        let read: Awaited<ReturnType<typeof reader.read>>;
        try {
          read = await reader.read();
        } catch (error) {
          throw failure(error);
        }
        if (read.done) break;
        buffer += decoder.decode(read.value, { stream: true });
        let newline = buffer.indexOf('\n');
        while (newline >= 0) {
          const line = buffer.slice(0, newline).replace(/\r$/, '');
          buffer = buffer.slice(newline + 1);
          newline = buffer.indexOf('\n');
          if (!line.startsWith('data:')) continue;
          const data = line.slice(5).trim();
          if (data === '[DONE]') {
            done = true;
            break;
          }
          let chunk: StreamChunk;
          try {
            chunk = JSON.parse(data) as StreamChunk;
          } catch {
            throw new ProviderError('The AI provider sent an answer that could not be read.', 'bad_response');
          }
          if (chunk.error)
            throw new ProviderError(
              'The AI provider reported an error while answering; please try again.',
              'provider_error',
            );
          if (chunk.usage)
            usage = {
              tokensIn: chunk.usage.prompt_tokens ?? 0,
              tokensOut: chunk.usage.completion_tokens ?? 0,
            };
          for (const choice of chunk.choices ?? []) {
            const delta = choice.delta;
            if (delta?.content) yield { type: 'delta', text: delta.content };
            for (const part of delta?.tool_calls ?? []) {
              const index = part.index ?? 0;
              const call = calls.get(index) ?? { id: part.id ?? `call_${index}`, name: '', arguments: '' };
              if (part.id) call.id = part.id;
              if (part.function?.name) call.name += part.function.name;
              if (part.function?.arguments) call.arguments += part.function.arguments;
              calls.set(index, call);
            }
          }
        }
      }
    } finally {
      clearTimeout(timer);
      await reader.cancel().catch(() => {});
    }
    for (const call of [...calls.entries()].sort(([a], [b]) => a - b).map(([, c]) => c)) {
      if (!call.name)
        throw new ProviderError('The AI provider sent a tool call without a name.', 'bad_response');
      yield { type: 'tool_call', call };
    }
    yield { type: 'usage', tokensIn: usage?.tokensIn ?? 0, tokensOut: usage?.tokensOut ?? 0 };
  }
}
