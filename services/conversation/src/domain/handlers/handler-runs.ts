import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { keysetPage, type PageRequest, uuidv7, withActor } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { loggableError } from '@conduit/service-kit';
import { and, eq, getTableColumns, sql } from 'drizzle-orm';
import { z } from 'zod';
import { botHandlerRuns, handlerRunStatuses } from '../../db/bot-tables-schema.js';
import { basicTools } from '../../db/schema.js';
import type { ConversationDeps } from '../../deps.js';
import { type BotRow, loadBot } from '../bots/bot-access.js';
import { botOwnerContext } from './handler-host.js';

// The record of each run of a bot's ON and WEBHOOK scripts, as automations record theirs: a
// handler runs with nobody watching, so what it did and why it failed is its managers' to read.

/** The runs kept per script; older ones go as new ones are recorded. */
export const KEPT_RUNS = 200;

export const handlerRunDto = z.object({
  id: z.uuid(),
  kind: z.enum(['on', 'webhook']),
  /** ON: the table change (event) that ran it. */
  eventId: z.uuid().nullable(),
  status: z.enum(handlerRunStatuses),
  error: z.string().nullable(),
  output: z.array(z.string()),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationMs: z.int(),
});

type HandlerRunRow = typeof botHandlerRuns.$inferSelect;

const toHandlerRunDto = (row: HandlerRunRow): z.output<typeof handlerRunDto> => ({
  id: row.id,
  kind: row.kind,
  eventId: row.eventId,
  status: row.status,
  error: row.error,
  output: row.output,
  startedAt: row.startedAt.toISOString(),
  finishedAt: row.finishedAt.toISOString(),
  durationMs: row.finishedAt.getTime() - row.startedAt.getTime(),
});

export interface HandlerRun {
  toolId: string;
  kind: 'on' | 'webhook';
  eventId: string | null;
  startedAt: Date;
  outcome: { ok: true; output: string[] } | { ok: false; message: string; output: string[] };
}

/**
 * Records a run as the bot's owner (whom the script acted as) and trims the script's older runs
 * past KEPT_RUNS. A record that cannot be written is logged, never the caller's failure: the run
 * itself has happened.
 */
export async function recordHandlerRun(
  deps: ConversationDeps,
  bot: Pick<BotRow, 'id' | 'ownerUserId' | 'teamId' | 'orgId'>,
  run: HandlerRun,
): Promise<void> {
  try {
    await withActor(deps.db, botOwnerContext(bot), async (tx) => {
      await tx.insert(botHandlerRuns).values({
        id: uuidv7(),
        botId: bot.id,
        toolId: run.toolId,
        kind: run.kind,
        eventId: run.eventId,
        status: run.outcome.ok ? 'succeeded' : 'failed',
        error: run.outcome.ok ? null : run.outcome.message.slice(0, 4000),
        output: run.outcome.output,
        startedAt: run.startedAt,
        finishedAt: new Date(),
      });
      await tx.execute(sql`delete from ${botHandlerRuns} where ${botHandlerRuns.toolId} = ${run.toolId}
        and ${botHandlerRuns.id} < (select id from ${botHandlerRuns} where ${botHandlerRuns.toolId} = ${run.toolId}
          order by id desc offset ${KEPT_RUNS - 1} limit 1)`);
    });
  } catch (error) {
    deps.log.warn(
      { err: loggableError(error), botId: bot.id, toolId: run.toolId },
      'bot handler run not recorded',
    );
  }
}

/**
 * The runs of the bot's script `name`, newest first. Only who may change the bot's scripts reads
 * them (its owner; its team's members who are not viewers): throws not_found for a bot the actor
 * cannot see or a script it does not have, forbidden for one they may only read, bad_request for
 * a cursor this list did not give.
 */
export async function listHandlerRuns(
  deps: ConversationDeps,
  actor: Actor,
  botId: string,
  name: string,
  query: PageRequest,
) {
  const page = keysetPage({ by: [botHandlerRuns.id], order: 'desc' }, query);
  return asActor(deps.db, actor, async (tx) => {
    await loadBot(tx, actor, botId, 'bots.write');
    const [tool] = await tx
      .select({ id: basicTools.id })
      .from(basicTools)
      .where(and(eq(basicTools.botId, botId), eq(basicTools.name, name)));
    if (!tool) throw new DomainError('not_found', 'No such tool.');
    const rows = await tx
      .select({ ...getTableColumns(botHandlerRuns), pageKey: page.key })
      .from(botHandlerRuns)
      .where(and(eq(botHandlerRuns.toolId, tool.id), page.after))
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, toHandlerRunDto);
  });
}
