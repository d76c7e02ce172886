import { asActor } from '@conduit/auth';
import { HostUnavailableError, type Value } from '@conduit/basic';
import { requestRpc } from '@conduit/bus';
import { knowledgeRpc } from '@conduit/contracts';
import { z } from 'zod';
import { estimateTokens } from '../llm/chat-provider.js';
import { generateMetered } from '../llm/usage-meter.js';
import type { Turn } from '../turns/turn.js';
import { resolveSessionModel } from './session-extras.js';

// AI helpers of General Bots' BASIC (issue #19, family 9) in a bot's dialog.

/** The longest text SAVE FROM UNSTRUCTURED reads, and the largest schema it sends. */
export const MAX_UNSTRUCTURED_TEXT = 20_000;
const MAX_SCHEMA_BYTES = 16 * 1024;

const INSTRUCTION = `You extract structured data. Read the user's text and answer with one JSON object that
follows this JSON Schema, and nothing else (no explanation). Leave out what the text does not say,
unless the schema requires it.

JSON Schema:
`;

/** The JSON object in a model's answer: the whole answer, or the part in a ``` fence or braces. */
export function jsonOfAnswer(answer: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(answer)?.[1];
  const candidate = (fenced ?? answer).trim();
  const start = candidate.indexOf('{');
  const end = candidate.lastIndexOf('}');
  if (start < 0 || end < start) throw new Error('the model answered no JSON object');
  try {
    return JSON.parse(candidate.slice(start, end + 1));
  } catch {
    throw new Error('the model answered JSON that does not parse');
  }
}

/** A zod schema from the script's JSON Schema; a schema zod cannot read is the script's error. */
function validatorOf(schema: Value): z.ZodType {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema))
    throw new Error('SAVE FROM UNSTRUCTURED needs a JSON Schema object, e.g. {"type": "object", ...}');
  if (JSON.stringify(schema).length > MAX_SCHEMA_BYTES)
    throw new Error(`the schema may be at most ${MAX_SCHEMA_BYTES} bytes of JSON`);
  try {
    return z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
  } catch (error) {
    throw new Error(`the schema is not a JSON Schema this service reads: ${(error as Error).message}`);
  }
}

export function aiKeywords(turn: Turn) {
  const { deps, actor } = turn;
  return {
    /**
     * The session's model reads the text into JSON for the schema; an answer that is not JSON or
     * does not fit the schema stops the script with what was wrong, so nothing unchecked goes on.
     */
    async saveFromUnstructured(text: string, schema: Value) {
      const validator = validatorOf(schema);
      const input = text.slice(0, MAX_UNSTRUCTURED_TEXT);
      const resolved = await asActor(deps.db, actor, (tx) => resolveSessionModel(tx, deps, turn));
      let answer = '';
      for await (const event of generateMetered(turn.meter, resolved.provider, {
        model: resolved.model,
        messages: [
          { role: 'system', content: INSTRUCTION + JSON.stringify(schema) },
          { role: 'user', content: input },
        ],
        tools: [],
        knowledge: [],
        maxTokens: deps.env.LLM_MAX_TOKENS,
        temperature: 0,
        signal: turn.signal,
      })) {
        if (event.type === 'delta') answer += event.text;
      }
      turn.llmTokens = (turn.llmTokens ?? 0) + estimateTokens(input) + estimateTokens(answer);
      const checked = validator.safeParse(jsonOfAnswer(answer));
      if (!checked.success) {
        const issue = checked.error.issues[0];
        const where = issue?.path.length ? issue.path.join('.') : 'the object';
        throw new Error(
          `the model's answer does not fit the schema: ${where} ${issue?.message ?? 'is invalid'}`,
        );
      }
      return checked.data;
    },
    /**
     * The site becomes knowledge of the session (rpc.knowledge.website.use): a URL data source of
     * the user's own websites collection, linked to the session. It is read and indexed in the
     * background, so FIND and LLM answers use it once it is (seconds for a page), not at once.
     */
    async useWebsite(url: string) {
      const wanted = url.trim();
      let address: URL;
      try {
        address = new URL(wanted);
      } catch {
        throw new Error(`USE WEBSITE needs a web address (http or https), not "${wanted.slice(0, 100)}"`);
      }
      if (address.protocol !== 'http:' && address.protocol !== 'https:')
        throw new Error('USE WEBSITE reads http and https addresses only');
      // The site is added to the user's own knowledge: only someone who may add knowledge may.
      if (!actor.permissions.includes('kb.write'))
        throw new HostUnavailableError(
          'USE WEBSITE adds to your knowledge bases, which your account may not do',
        );
      const answer = await requestRpc(
        deps.bus,
        knowledgeRpc.useWebsite,
        {
          userId: actor.userId,
          orgId: actor.orgId,
          teams: actor.teams,
          sessionId: turn.session.id,
          url: address.href,
        },
        { timeoutMs: deps.env.RPC_TIMEOUT },
      );
      const kbs = turn.context.kbs ?? [];
      if (!kbs.some((kb) => kb.collectionId === answer.collectionId))
        turn.context.kbs = [...kbs, { name: 'websites', collectionId: answer.collectionId }];
    },
  };
}
