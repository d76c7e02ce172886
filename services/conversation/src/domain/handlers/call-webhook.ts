import type { Value } from '@conduit/basic';
import { DomainError } from '@conduit/errors';
import type { Logger } from '@conduit/service-kit';
import { sql } from 'drizzle-orm';
import type { ConversationDeps } from '../../deps.js';
import { runHandler } from './run-handler.js';

export interface WebhookRequest {
  params: Record<string, string>;
  body: Record<string, unknown>;
  headers: Record<string, string>;
  method: string;
  path: string;
}

interface WebhookRow extends Record<string, unknown> {
  bot_id: string;
  owner_user_id: string;
  team_id: string | null;
  org_id: string | null;
  tool_id: string;
  script: string;
}

const noWebhook = () => new DomainError('not_found', 'No such webhook.');

/**
 * What a webhook's script answers: what it RETURNs, else its `result_<name>` variables as
 * `{ name: value }` (General Bots' way), else an empty object.
 */
function answerOf(value: Value, variables: Record<string, Value>): unknown {
  if (value !== null) return value;
  const results: Record<string, Value> = {};
  for (const [name, v] of Object.entries(variables)) {
    const field = /^result_(.+)$/i.exec(name)?.[1];
    if (field) results[field] = v;
  }
  return results;
}

/**
 * Runs the bot's script that declares WEBHOOK `name` with the request as its variables (`params`,
 * `body`, `headers`, `method`, `path`), as the bot's owner. Throws not_found when the bot has no
 * such webhook (or does not exist), unprocessable when the script stops with an error (the reason
 * goes to `log`, never to the caller).
 */
export async function callWebhook(
  deps: ConversationDeps,
  botId: string,
  name: string,
  request: WebhookRequest,
  log: Pick<Logger, 'warn'> = deps.log,
) {
  // No user comes with the call: a narrow look-up as the schema's owner (migration 0010).
  const [found] = await deps.db.execute<WebhookRow>(
    sql`select * from conversation.bot_webhook_script(${botId}, ${name.toLowerCase()})`,
  );
  if (!found) throw noWebhook();
  const bot = {
    id: found.bot_id,
    ownerUserId: found.owner_user_id,
    teamId: found.team_id,
    orgId: found.org_id,
  };
  const outcome = await runHandler(deps, bot, found.script, request as unknown as Record<string, Value>, {
    kind: 'webhook',
    toolId: found.tool_id,
  });
  if (!outcome.ok) {
    // The caller is anonymous: the reason (the script's own text, what it fetched) is the bot's
    // managers' to read in the script's runs (and the log, under the request id the problem carries).
    log.warn({ botId, webhook: name.toLowerCase(), reason: outcome.message }, 'bot webhook script stopped');
    throw new DomainError(
      'unprocessable',
      "The webhook's script stopped with an error; its owner can find why in the script's runs.",
    );
  }
  return answerOf(outcome.value, outcome.variables);
}
