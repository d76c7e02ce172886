import { asActor } from '@conduit/auth';
import type { ToolParameters } from '@conduit/basic';
import type { Actor } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import { and, eq } from 'drizzle-orm';
import { basicTools } from '../../db/schema.js';
import type { ConversationDeps } from '../../deps.js';
import { scriptTokens } from '../dialog/script-host.js';
import { toSessionDto } from '../sessions/session-access.js';
import { checkArguments } from '../tools/check-arguments.js';
import { runTool } from '../tools/run-tool.js';
import { newTurn, readSessionTurn } from '../turns/open-turn.js';
import { storeTurn } from '../turns/store-turn.js';
import { withTurnLock } from '../turns/turn-lock.js';
import { withReservedReply } from '../usage/reserve-reply.js';
import { generateReply } from './generate-reply.js';

/**
 * Runs one of the session bot's tools directly (a button in a UI, a form): arguments checked
 * against its PARAM schema (422 listing each problem), a message of usage reserved, and the result
 * stored in the session as a `tool` message (what it TALKed as bot messages). Throws not_found for
 * an unknown session or tool, gone for an ended session, conflict while the session is answering.
 */
export async function invokeTool(
  deps: ConversationDeps,
  actor: Actor,
  sessionId: string,
  toolName: string,
  args: Record<string, unknown>,
) {
  return withTurnLock(deps, sessionId, () => invokeLocked(deps, actor, sessionId, toolName, args));
}

async function invokeLocked(
  deps: ConversationDeps,
  actor: Actor,
  sessionId: string,
  toolName: string,
  args: Record<string, unknown>,
) {
  const { tool, ...subject } = await asActor(deps.db, actor, async (tx) => {
    const subject = await readSessionTurn(tx, actor, sessionId);
    const [tool] = await tx
      .select()
      .from(basicTools)
      .where(and(eq(basicTools.botId, subject.bot.id), eq(basicTools.name, toolName)));
    if (!tool) throw new DomainError('not_found', 'The bot of this session has no tool by that name.');
    return { ...subject, tool };
  });
  const problems = checkArguments(tool.parameters as unknown as ToolParameters, args);
  if (problems.length > 0)
    throw new DomainError(
      'unprocessable',
      `The arguments do not fit the tool: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`,
      { fields: { errors: problems.map((p) => ({ path: `body.args.${p.path}`, message: p.message })) } },
    );
  return withReservedReply(deps, actor, subject.bot, scriptTokens(deps, tool.script), async (meter) => {
    const turn = newTurn(deps, actor, subject, meter, { generateReply });
    const outcome = await deps.inFlight.track(runTool(turn, tool, args, 'user'));
    turn.outputs.push({
      sender: 'tool',
      content: JSON.stringify({ ok: outcome.ok, result: outcome.value, error: outcome.error }),
      metadata: { tool: tool.name, ok: outcome.ok, caller: 'user' },
    });
    for (const text of outcome.said) turn.outputs.push({ sender: 'bot', content: text });
    const stored = await storeTurn(turn, null);
    return {
      result: {
        ok: outcome.ok,
        result: outcome.value ?? null,
        error: outcome.error,
        messages: stored.messages,
        session: toSessionDto(stored.session),
      },
      stored: true,
    };
  });
}
