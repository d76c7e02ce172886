import { conversationEvents } from '@conduit/contracts';
import { type Transaction, uuidv7 } from '@conduit/db';
import { consumeEvent } from '@conduit/runtime';
import { and, eq, sql } from 'drizzle-orm';
import { systemAutomations } from '../../db/schema.js';
import type { WorkflowDeps } from '../../deps.js';
import { compileSchedule, nextRunOf } from './automation-schedule.js';
import { removeAutomationScheduler, syncAutomationScheduler } from './automation-scheduler.js';

/**
 * Conversation's word on a bot is the truth about it: these consumers act on every automation of
 * the bot whoever owns it now (a bot moved to a team takes its automations along), so their
 * transaction acts as the service itself (app.platform_admin) rather than as a user.
 */
const actAsService = (tx: Transaction) =>
  tx.execute(sql`select set_config('app.platform_admin', 'true', true), set_config('app.user_id', '', true)`);

/**
 * conversation.bot.saved: the bot's script automation follows its SET SCHEDULE (made, moved to the
 * new schedule and script, or removed without one), and every automation of the bot follows its
 * owner. An older save delivered late changes nothing (bot_updated_at). The job schedulers are set
 * before the transaction commits; one left by a rolled-back change finds nothing to run and stops.
 */
export const botSavedConsumer = consumeEvent<WorkflowDeps, typeof conversationEvents.botSaved>({
  event: conversationEvents.botSaved,
  name: 'bot-automations-saved',
  async apply(deps, tx, { data }) {
    await actAsService(tx);
    const savedAt = new Date(data.updatedAt);
    const [current] = await tx
      .select()
      .from(systemAutomations)
      .where(and(eq(systemAutomations.botId, data.botId), eq(systemAutomations.source, 'script')));
    if (current?.botUpdatedAt && current.botUpdatedAt >= savedAt) return;

    const owner = { ownerUserId: data.ownerUserId, teamId: data.teamId, organizationId: data.orgId };
    const others = await tx
      .update(systemAutomations)
      .set({ ...owner, updatedAt: new Date() })
      .where(and(eq(systemAutomations.botId, data.botId), eq(systemAutomations.source, 'api')))
      .returning();
    for (const row of others) await syncAutomationScheduler(deps.jobs, row);

    const compiled =
      data.schedule && data.script ? compileSchedule(data.schedule.cron, current?.timezone ?? 'UTC') : null;
    if (!compiled?.ok || !data.schedule || !data.script) {
      if (current) {
        await tx.delete(systemAutomations).where(eq(systemAutomations.id, current.id));
        await removeAutomationScheduler(deps.jobs, current.id);
      }
      return;
    }
    const timezone = current?.timezone ?? 'UTC';
    const fields = {
      ...owner,
      name: `${data.name}: ${data.schedule.source}`.slice(0, 200),
      schedule: data.schedule.source,
      cron: compiled.cron,
      script: data.script,
      botUpdatedAt: savedAt,
      nextRunAt: (current?.active ?? true) ? nextRunOf(compiled.cron, timezone) : null,
      updatedAt: new Date(),
    };
    const [row] = current
      ? await tx.update(systemAutomations).set(fields).where(eq(systemAutomations.id, current.id)).returning()
      : await tx
          .insert(systemAutomations)
          .values({ id: uuidv7(), botId: data.botId, source: 'script', timezone, active: true, ...fields })
          .returning();
    await syncAutomationScheduler(deps.jobs, row!);
  },
});

/** conversation.bot.deleted: the bot's automations go, with their runs and schedulers. */
export const botDeletedConsumer = consumeEvent<WorkflowDeps, typeof conversationEvents.botDeleted>({
  event: conversationEvents.botDeleted,
  name: 'bot-automations-deleted',
  async apply(deps, tx, { data }) {
    await actAsService(tx);
    const gone = await tx
      .delete(systemAutomations)
      .where(eq(systemAutomations.botId, data.botId))
      .returning({ id: systemAutomations.id });
    for (const row of gone) await removeAutomationScheduler(deps.jobs, row.id);
  },
});
