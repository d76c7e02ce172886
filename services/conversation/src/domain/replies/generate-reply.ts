import { asActor } from '@conduit/auth';
import type { Transaction } from '@conduit/db';
import { and, asc, desc, eq } from 'drizzle-orm';
import { searchKnowledgeOrNothing } from '../../clients/knowledge-search-client.js';
import { basicTools, messageHistory, prompts, sessionToolAssociations } from '../../db/schema.js';
import type { ConversationDeps } from '../../deps.js';
import { replyMaxTokens, replyTemperature } from '../app-visits/app-overrides.js';
import { type ChatMessage, ProviderError, type ToolCall } from '../llm/chat-provider.js';
import { citationOf } from '../llm/offline-provider.js';
import { generateMetered } from '../llm/usage-meter.js';
import { renderPrompt } from '../prompts/manage-prompts.js';
import { resolveSessionModel, sessionSystemPrompt } from '../sessions/session-extras.js';
import type { ToolRow } from '../tools/manage-tools.js';
import { runTool } from '../tools/run-tool.js';
import type { ReplyInputs, Turn } from '../turns/turn.js';

const HISTORY = 20;

/** A function name the OpenAI protocol accepts (letters, digits, _ and -; at most 64). */
const functionName = (name: string) => name.replace(/[^\w-]/g, '_').slice(0, 64);

/**
 * The system prompt: the bot's `prompt` setting (a saved prompt's id or name, its variables filled
 * from the bot's settings), its `system-prompt` setting, the dialog's BEGIN SYSTEM PROMPT, then
 * what the dialog set with SET CONTEXT.
 */
function systemPrompt(turn: Turn, saved: string | null): string | null {
  const parts = [
    saved,
    turn.settings.get('system-prompt'),
    sessionSystemPrompt(turn),
    turn.context.llmContext,
  ].filter((p): p is string => !!p?.trim());
  return parts.length ? parts.join('\n\n') : null;
}

/**
 * Reads what an LLM reply is built from, in the caller's transaction, all at once (one round
 * trip): the model, the session's recent history, the tools linked to it of this bot and the bot's
 * saved prompt.
 */
export async function readReplyInputs(
  tx: Transaction,
  deps: ConversationDeps,
  turn: Pick<Turn, 'bot' | 'session' | 'settings' | 'context'>,
): Promise<ReplyInputs> {
  const { session } = turn;
  const promptRef = turn.settings.get('prompt')?.trim();
  const [resolved, recent, tools, [saved]] = await Promise.all([
    resolveSessionModel(tx, deps, turn),
    tx
      .select({ sender: messageHistory.sender, content: messageHistory.content })
      .from(messageHistory)
      .where(eq(messageHistory.sessionId, session.id))
      .orderBy(desc(messageHistory.createdAt), desc(messageHistory.id))
      .limit(HISTORY),
    tx
      .select({ tool: basicTools })
      .from(sessionToolAssociations)
      .innerJoin(basicTools, eq(basicTools.id, sessionToolAssociations.toolId))
      // Only the answering bot's own tools: a bot brought in (ADD BOT, DELEGATE, a transfer) must
      // not be offered another bot's tools and run them as itself.
      .where(and(eq(sessionToolAssociations.sessionId, session.id), eq(basicTools.botId, turn.bot.id)))
      .orderBy(asc(basicTools.name)),
    promptRef
      ? tx
          .select({ content: prompts.content })
          .from(prompts)
          .where(/^[0-9a-f-]{36}$/i.test(promptRef) ? eq(prompts.id, promptRef) : eq(prompts.name, promptRef))
          .limit(1)
      : Promise.resolve([]),
  ]);
  const values = Object.fromEntries(turn.settings);
  values['bot.name'] = turn.bot.name;
  return {
    bot: turn.bot,
    resolved,
    history: recent.reverse(),
    tools: tools.map((t) => t.tool),
    saved: saved ? renderPrompt(saved.content, values) : null,
  };
}

/**
 * Answers the user's message with the session's LLM: grounded in the session's knowledge bases
 * and able to call the session's tools (each round's calls run, their results go back to the model,
 * up to LLM_MAX_TOOL_ROUNDS). Text is streamed to the turn's sink as it comes. Throws ProviderError
 * (a message for the user) when the provider fails or times out.
 */
export async function generateReply(turn: Turn, userText: string): Promise<void> {
  const { deps, actor } = turn;
  const started = Date.now();
  // What the reply is built from: read with the session when the turn began (prepareReply), else
  // here (a bot that ADD BOT brought in answers with its own). The reads go out together in one
  // transaction, and the knowledge search runs beside them, since neither needs the other.
  const read = turn.replyInputs?.bot === turn.bot ? turn.replyInputs : undefined;
  // Read once: a later reply of the same turn reads the history afresh.
  turn.replyInputs = undefined;
  const reading = read
    ? Promise.resolve(read)
    : asActor(deps.db, actor, (tx) => readReplyInputs(tx, deps, turn));
  const searching = searchKnowledgeOrNothing(
    deps,
    actor,
    { sessionId: turn.session.id, collectionIds: (turn.context.kbs ?? []).map((kb) => kb.collectionId) },
    userText,
  );
  const [{ resolved, history, tools, saved }, { hits, warning }] = await Promise.all([reading, searching]);
  const byFunction = new Map<string, ToolRow>(tools.map((t) => [functionName(t.name), t]));
  const system = systemPrompt(turn, saved);
  const messages: ChatMessage[] = [
    ...(system ? [{ role: 'system' as const, content: system }] : []),
    ...history
      .filter((m) => m.sender === 'user' || m.sender === 'bot')
      .map((m) =>
        m.sender === 'user'
          ? { role: 'user' as const, content: m.content }
          : { role: 'assistant' as const, content: m.content },
      ),
    { role: 'user', content: userText },
  ];

  let text = '';
  let tokensIn = 0;
  let tokensOut = 0;
  for (let round = 0; ; round++) {
    const offerTools = round < deps.env.LLM_MAX_TOOL_ROUNDS && tools.length > 0;
    const calls: ToolCall[] = [];
    let roundText = '';
    for await (const event of generateMetered(turn.meter, resolved.provider, {
      model: resolved.model,
      messages,
      tools: offerTools
        ? tools.map((t) => ({
            name: functionName(t.name),
            description: t.description,
            parameters: t.parameters,
          }))
        : [],
      knowledge: hits,
      maxTokens: replyMaxTokens(deps, turn.settings),
      temperature: replyTemperature(turn.settings),
      signal: turn.signal,
    })) {
      if (event.type === 'delta') {
        roundText += event.text;
        turn.sink.emit({ type: 'delta', text: event.text });
      } else if (event.type === 'tool_call') calls.push(event.call);
      else {
        tokensIn += event.tokensIn;
        tokensOut += event.tokensOut;
      }
    }
    text += roundText;
    if (calls.length === 0 || !offerTools) break;
    messages.push({ role: 'assistant', content: roundText, toolCalls: calls });
    for (const call of calls) {
      const tool = byFunction.get(call.name);
      let content: string;
      if (!tool) {
        content = JSON.stringify({ ok: false, error: `no tool named ${call.name} in this session` });
        turn.sink.emit({
          type: 'tool',
          name: call.name,
          status: 'failed',
          result: { error: 'unknown tool' },
        });
      } else {
        turn.sink.emit({ type: 'tool', name: tool.name, status: 'started' });
        let args: Record<string, unknown> = {};
        let parseError: string | null = null;
        try {
          const parsed = JSON.parse(call.arguments || '{}') as unknown;
          if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
            args = parsed as Record<string, unknown>;
          else parseError = 'the arguments are not a JSON object';
        } catch {
          parseError = 'the arguments are not valid JSON';
        }
        const outcome = parseError
          ? { ok: false, value: null, said: [], error: parseError }
          : await runTool(turn, tool, args, 'llm');
        const result = { ok: outcome.ok, result: outcome.value, said: outcome.said, error: outcome.error };
        content = JSON.stringify(result);
        turn.outputs.push({
          sender: 'tool',
          content,
          metadata: { tool: tool.name, toolCallId: call.id, ok: outcome.ok },
        });
        turn.sink.emit({ type: 'tool', name: tool.name, status: outcome.ok ? 'finished' : 'failed', result });
      }
      messages.push({ role: 'tool', content, toolCallId: call.id, name: call.name });
    }
  }

  if (!text.trim()) {
    if (resolved.provider.kind !== 'offline')
      throw new ProviderError('The AI provider sent an empty answer; please try again.', 'bad_response');
  }
  turn.outputs.push({
    sender: 'bot',
    content: text,
    tokensIn,
    tokensOut,
    model: resolved.model,
    latencyMs: Date.now() - started,
    metadata: {
      citations: hits.map((hit, i) => ({
        n: i + 1,
        source: citationOf(hit),
        documentId: hit.documentId,
        chunkId: hit.chunkId,
      })),
      ...(warning ? { warning } : {}),
    },
  });
}
