import { createHash } from 'node:crypto';
import { isCounted, refusedLine, releaseUsageOf, reserveUsageOf } from '@conduit/bus';
import type { conversationRpc } from '@conduit/contracts';
import { type ActorContext, withActor } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import type { z } from 'zod';
import type { ConversationDeps } from '../../deps.js';
import { type ChatMessage, estimateTokens, ProviderError } from './chat-provider.js';
import { chatModel, modelReference, resolveModel } from './resolve-model.js';
import { generateMetered, newMeter } from './usage-meter.js';

type CompletionRequest = z.output<typeof conversationRpc.complete.request>;
type Completion = { text: string; model: string; tokens: number };

/** How long a completion is answered again to a request with the same idempotency key. */
const REMEMBERED_S = 24 * 60 * 60;

/**
 * One completion for another service (rpc.conversation.llm.complete), as the user it names: the
 * model is one they may use (row-level security on the catalog), by id or name, else their
 * preferred model, else the offline one. Reserves the AI credits the call may use from `payer`
 * (prompt and maxTokens, one credit per AI_CREDIT_TOKENS) and gives back what it did not use.
 * Throws not_found for a model they may not use, limit_reached when no credits are left,
 * unavailable when usage cannot be checked, bad_gateway when the provider failed. With an
 * idempotency key, the completion is remembered for a day and answered again to the same key
 * asking the same question (model, system, prompt, maxTokens); another question under that key is
 * asked anew.
 */
export async function completeForService(
  deps: ConversationDeps,
  request: CompletionRequest,
): Promise<Completion> {
  if (!request.idempotencyKey) return completeOnce(deps, request);
  // Per user, and hashed: keys are the caller's text, and never reach another user's answers. The
  // question is part of the key: a retry whose n-th call asks something else (it branched on a
  // fetched value, or on the time) is asked anew, never answered another prompt's completion.
  const asked = JSON.stringify([
    request.idempotencyKey,
    request.model ?? null,
    request.system ?? null,
    request.prompt,
    request.maxTokens,
  ]);
  const key = `llm-complete:${request.userId}:${createHash('sha256').update(asked).digest('base64url')}`;
  const remembered = await deps.redis.get(key);
  if (remembered) return JSON.parse(remembered) as Completion;
  const answer = await completeOnce(deps, request);
  await deps.redis.set(key, JSON.stringify(answer), 'EX', REMEMBERED_S);
  return answer;
}

async function completeOnce(deps: ConversationDeps, request: CompletionRequest): Promise<Completion> {
  const teams = Object.entries(request.teams ?? {});
  const actor: ActorContext = {
    userId: request.userId,
    orgId: request.orgId ?? null,
    teamIds: teams.map(([teamId]) => teamId),
    writableTeamIds: teams.filter(([, role]) => role !== 'viewer').map(([teamId]) => teamId),
  };
  const resolved = await withActor(deps.db, actor, (tx) =>
    request.model
      ? chatModel(tx, deps, modelReference(request.model))
      : resolveModel(tx, deps, request.userId, new Map()),
  );
  if (!resolved) throw new DomainError('not_found', 'No such chat model for this user.');

  const messages: ChatMessage[] = [
    ...(request.system ? [{ role: 'system' as const, content: request.system }] : []),
    { role: 'user', content: request.prompt },
  ];
  const credits = Math.ceil(
    (estimateTokens(`${request.system ?? ''}\n${request.prompt}`) + request.maxTokens) /
      deps.env.AI_CREDIT_TOKENS,
  );
  const { periodEnd, reservationId, counted } = await reserveCredits(deps, request.payer, credits);
  const meter = newMeter();
  let text = '';
  try {
    for await (const event of generateMetered(meter, resolved.provider, {
      model: resolved.model,
      messages,
      tools: [],
      knowledge: [],
      maxTokens: request.maxTokens,
      signal: AbortSignal.timeout(deps.env.LLM_TIMEOUT),
    }))
      if (event.type === 'delta') text += event.text;
  } catch (error) {
    if (error instanceof ProviderError) throw new DomainError('bad_gateway', error.userMessage);
    throw error;
  } finally {
    const unused = credits - Math.ceil(meter.tokens / deps.env.AI_CREDIT_TOKENS);
    if (unused > 0 && counted)
      // The reservation's id gives back first what it drew from the payer's bought credits.
      await releaseUsageOf(
        deps.bus,
        request.payer,
        [{ metric: 'ai_credits', amount: unused }],
        { periodEnd, reservationId },
        { timeoutMs: deps.env.RPC_TIMEOUT },
      ).catch((error: unknown) =>
        deps.log.warn({ err: error, unused }, 'unused AI credits could not be given back'),
      );
  }
  return { text, model: resolved.model, tokens: meter.tokens };
}

/**
 * Reserves AI credits of a payer; answers the period they count in, the reservation's id when it
 * drew on the payer's credit balance, and whether the grant counted them (not when the plan does not
 * limit AI credits).
 */
async function reserveCredits(
  deps: ConversationDeps,
  payer: CompletionRequest['payer'],
  credits: number,
): Promise<{ periodEnd: string; reservationId: string | undefined; counted: boolean }> {
  const answer = await reserveUsageOf(deps.bus, payer, [{ metric: 'ai_credits', amount: credits }], {
    notIncluded: 'This plan does not include AI credits.',
    timeoutMs: deps.env.RPC_TIMEOUT,
  });
  if (!answer.granted) {
    const line = refusedLine(answer);
    throw new DomainError(
      'limit_reached',
      `The AI credits of this plan and its bought credits are used up (${line.remaining + (line.credits ?? 0)} left, this completion needs up to ${credits}).`,
    );
  }
  return {
    periodEnd: answer.periodEnd,
    reservationId: answer.reservationId,
    // A plan that does not limit AI credits counted none: nothing to give back.
    counted: isCounted(answer.items[0]!),
  };
}
