import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { keysetPage, type PageRequest, type Transaction, uuidv7, withActor } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { loggableError } from '@conduit/service-kit';
import { and, eq, getTableColumns, sql } from 'drizzle-orm';
import { z } from 'zod';
import { botHandlerRuns, handlerRunStatuses } from '../../db/bot-tables-schema.js';
import { basicTools } from '../../db/schema.js';
import type { ConversationDeps } from '../../deps.js';
import type { ConversationEnv } from '../../env.js';
import { type BotRow, loadBot } from '../bots/bot-access.js';
import { botOwnerContext } from './handler-host.js';

// The record of each run of a bot's ON and WEBHOOK scripts, as automations record theirs: a
// handler runs with nobody watching, so what it did and why it failed is its managers' to read.

/** The runs kept per script; older ones go as new ones are recorded. */
export const KEPT_RUNS = 200;

/** How long one ON or WEBHOOK script may run (its wall-time limit, HTTP calls and all). */
export const handlerTimeLimitMs = (env: ConversationEnv) => env.SCRIPT_HTTP_TIMEOUT * 2;

export const handlerRunDto = z.object({
  id: z.uuid(),
  kind: z.enum(['on', 'webhook']),
  /** ON: the table change (event) that ran it. */
  eventId: z.uuid().nullable(),
  /** `interrupted`: still unfinished past its time limit, so its process stopped in the middle. */
  status: z.enum([...handlerRunStatuses, 'interrupted']),
  error: z.string().nullable(),
  output: z.array(z.string()),
  startedAt: z.string(),
  /** Null while it runs, and for an interrupted run. */
  finishedAt: z.string().nullable(),
  durationMs: z.int().nullable(),
});

type HandlerRunRow = typeof botHandlerRuns.$inferSelect;

const INTERRUPTED =
  'The run stopped before its script ended: the process running it was stopped or crashed. What it wrote before stays; it is not run again.';

const toHandlerRunDto = (row: HandlerRunRow, now: Date): z.output<typeof handlerRunDto> => {
  const interrupted = row.status === 'running' && row.deadlineAt !== null && row.deadlineAt < now;
  return {
    id: row.id,
    kind: row.kind,
    eventId: row.eventId,
    status: interrupted ? 'interrupted' : row.status,
    error: interrupted ? INTERRUPTED : row.error,
    output: row.output,
    startedAt: row.startedAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
    durationMs: row.finishedAt ? row.finishedAt.getTime() - row.startedAt.getTime() : null,
  };
};

type Owner = Pick<BotRow, 'id' | 'ownerUserId' | 'teamId' | 'orgId'>;

export interface HandlerRunStart {
  toolId: string;
  kind: 'on' | 'webhook';
  eventId: string | null;
}

/** A run recorded as running: what its end is written under. */
export interface StartedHandlerRun extends HandlerRunStart {
  id: string;
  startedAt: Date;
}

/**
 * Records a run as `running` before its script starts, as the bot's owner (whom the script acts
 * as), with the deadline past which it reads as interrupted, and trims the script's older runs past
 * KEPT_RUNS; so a process killed in the middle of a run still leaves its record. With `claim`, the
 * claim (e.g. the event's processed_events row) is made in the same transaction: answers null when
 * it was claimed before, and throws when the transaction fails (nothing claimed, nothing recorded:
 * the caller may try again). Without one, a record that cannot be written is logged, never the
 * caller's failure; the run's end is still written (recordHandlerRunEnd).
 */
export async function recordHandlerRunStart(
  deps: ConversationDeps,
  bot: Owner,
  run: HandlerRunStart,
): Promise<StartedHandlerRun>;
export async function recordHandlerRunStart(
  deps: ConversationDeps,
  bot: Owner,
  run: HandlerRunStart,
  claim: (tx: Transaction) => Promise<boolean>,
): Promise<StartedHandlerRun | null>;
export async function recordHandlerRunStart(
  deps: ConversationDeps,
  bot: Owner,
  run: HandlerRunStart,
  claim?: (tx: Transaction) => Promise<boolean>,
): Promise<StartedHandlerRun | null> {
  const started: StartedHandlerRun = { ...run, id: uuidv7(), startedAt: new Date() };
  const deadlineAt = new Date(
    started.startedAt.getTime() + handlerTimeLimitMs(deps.env) + deps.env.HANDLER_RUN_MARGIN,
  );
  const write = () =>
    withActor(deps.db, botOwnerContext(bot), async (tx) => {
      if (claim && !(await claim(tx))) return null;
      await tx.insert(botHandlerRuns).values({
        id: started.id,
        botId: bot.id,
        toolId: run.toolId,
        kind: run.kind,
        eventId: run.eventId,
        status: 'running',
        startedAt: started.startedAt,
        deadlineAt,
      });
      await tx.execute(sql`delete from ${botHandlerRuns} where ${botHandlerRuns.toolId} = ${run.toolId}
        and ${botHandlerRuns.id} < (select id from ${botHandlerRuns} where ${botHandlerRuns.toolId} = ${run.toolId}
          order by id desc offset ${KEPT_RUNS - 1} limit 1)`);
      return started;
    });
  if (claim) return write();
  try {
    return await write();
  } catch (error) {
    deps.log.warn(
      { err: loggableError(error), botId: bot.id, toolId: run.toolId },
      'bot handler run not recorded',
    );
    return started;
  }
}

/**
 * Writes how a run ended (status, error, output lines, end time) over its `running` record, or as a
 * new record when its start could not be written. A record that cannot be written is logged, never
 * the caller's failure: the run itself has happened.
 */
export async function recordHandlerRunEnd(
  deps: ConversationDeps,
  bot: Owner,
  run: StartedHandlerRun,
  outcome: { ok: true; output: string[] } | { ok: false; message: string; output: string[] },
): Promise<void> {
  const end = {
    status: outcome.ok ? ('succeeded' as const) : ('failed' as const),
    error: outcome.ok ? null : outcome.message.slice(0, 4000),
    output: outcome.output,
    finishedAt: new Date(),
  };
  try {
    await withActor(deps.db, botOwnerContext(bot), (tx) =>
      tx
        .insert(botHandlerRuns)
        .values({
          id: run.id,
          botId: bot.id,
          toolId: run.toolId,
          kind: run.kind,
          eventId: run.eventId,
          startedAt: run.startedAt,
          ...end,
        })
        .onConflictDoUpdate({ target: botHandlerRuns.id, set: end }),
    );
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
    const now = new Date();
    return page.of(rows, (row) => toHandlerRunDto(row, now));
  });
}
