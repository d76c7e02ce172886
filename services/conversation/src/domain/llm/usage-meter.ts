import { type ChatEvent, type ChatProvider, estimateTokens, type GenerateRequest } from './chat-provider.js';

/**
 * The tokens a turn's model calls have used so far (its reply, the tools and scripts it ran):
 * what its AI credits are charged for, whether or not the turn is stored (see reserve-reply.ts).
 */
export interface UsageMeter {
  tokens: number;
}

export const newMeter = (): UsageMeter => ({ tokens: 0 });

/**
 * Calls the model and counts the call on the meter once it ends, however it ends: the tokens the
 * provider reported, or, when it reported none (many OpenAI-compatible servers send no usage, and
 * a call cut short never does), an estimate from the prompt and what it produced so far.
 */
export async function* generateMetered(
  meter: UsageMeter,
  provider: ChatProvider,
  request: GenerateRequest,
): AsyncIterable<ChatEvent> {
  let reported = 0;
  let produced = '';
  try {
    for await (const event of provider.generate(request)) {
      if (event.type === 'delta') produced += event.text;
      else if (event.type === 'tool_call') produced += event.call.name + event.call.arguments;
      else reported += Math.max(0, event.tokensIn) + Math.max(0, event.tokensOut);
      yield event;
    }
  } finally {
    // A call refused before it produced anything (an HTTP error, a timeout to the first byte) is
    // not charged.
    const prompt = [...request.messages.map((m) => m.content), ...request.knowledge.map((h) => h.content)];
    if (reported > 0) meter.tokens += reported;
    else if (produced) meter.tokens += estimateTokens(prompt.join('\n')) + estimateTokens(produced);
  }
}
