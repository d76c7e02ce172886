import type { ChatEvent, ChatProvider, GenerateRequest, SearchHit } from './chat-provider.js';
import { estimateTokens } from './chat-provider.js';

export const NO_ANSWER =
  "I don't have an answer to that in my knowledge base. Try rephrasing, or ask about something it covers.";

const STOP_WORDS = new Set(
  'a an and are as at be by can do does for from has have how i if in is it its me my of on or so that the their then there these this to was what when where which who why will with you your'.split(
    ' ',
  ),
);

const terms = (text: string) =>
  text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length > 1 && !STOP_WORDS.has(word));

/** A hit the search found by its words, or by meaning with good confidence. */
const relevant = (hit: SearchHit) => hit.textRank !== null || (hit.vectorScore ?? 0) >= 0.6;

/** The sentences of a passage that share the most words with the question, in their order. */
function quote(content: string, question: Set<string>, maxChars: number): string {
  const sentences = content
    .replace(/\s+/g, ' ')
    .split(/(?<=[.!?])\s+(?=[\p{Lu}\d"'(])/u)
    .map((text, index) => ({
      text: text.trim(),
      index,
      score: terms(text).filter((t) => question.has(t)).length,
    }))
    .filter((s) => s.text.length > 0);
  const best = [...sentences].sort((a, b) => b.score - a.score || a.index - b.index);
  const chosen: typeof sentences = [];
  let length = 0;
  for (const sentence of best) {
    if (sentence.score === 0 && chosen.length > 0) break;
    if (length + sentence.text.length > maxChars && chosen.length > 0) break;
    chosen.push(sentence);
    length += sentence.text.length;
  }
  const text = chosen
    .sort((a, b) => a.index - b.index)
    .map((s) => s.text)
    .join(' ');
  return text.length > maxChars ? `${text.slice(0, maxChars - 1).trimEnd()}…` : text;
}

export const citationOf = (hit: SearchHit) => [hit.documentName, ...hit.headingPath].join(' › ');

/**
 * The built-in provider: no network, no key. It answers extractively from the knowledge-base
 * passages (quoting the sentences closest to the question, citing document and heading path), or
 * says plainly that it has no answer. It never invents text and never calls tools.
 */
export class OfflineProvider implements ChatProvider {
  readonly kind = 'offline' as const;

  async *generate(request: GenerateRequest): AsyncIterable<ChatEvent> {
    const question = [...request.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
    const wanted = new Set(terms(question));
    const hits = request.knowledge
      .filter(relevant)
      .filter((hit) => terms(hit.content).some((t) => wanted.has(t)))
      .slice(0, 3);
    const answer =
      hits.length === 0
        ? NO_ANSWER
        : [
            hits.length === 1 ? 'From the knowledge base:' : 'Here is what the knowledge base says:',
            ...hits.map((hit, i) => `> ${quote(hit.content, wanted, 600)} [${i + 1}]`),
            'Sources:',
            ...hits.map((hit, i) => `[${i + 1}] ${citationOf(hit)}`),
          ].join('\n\n');
    // Streams word groups, as a remote model would.
    const pieces = answer.match(/\S+\s*/g) ?? [answer];
    for (let i = 0; i < pieces.length; i += 8) {
      if (request.signal.aborted) break;
      yield { type: 'delta', text: pieces.slice(i, i + 8).join('') };
    }
    const prompt = request.messages.map((m) => m.content).join('\n') + hits.map((h) => h.content).join('\n');
    yield { type: 'usage', tokensIn: estimateTokens(prompt), tokensOut: estimateTokens(answer) };
  }
}
