import type { Actor } from '@conduit/contracts';
import { keysetPage, type Transaction, uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq, getTableColumns } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { alertEvaluations, alerts, reportRuns, reports } from '../../../db/delivery-schema.js';
import type { AnalyticsDeps } from '../../../deps.js';
import { asViewer } from '../../access/viewer-scope.js';
import { findExploration } from '../explorations/find-exploration.js';
import { checkTeamAccess } from '../team-access.js';
import {
  changedWorkColumns,
  checkWebhookTarget,
  type DeliveryWorkChanges,
  type DeliveryWorkInput,
  newWorkColumns,
} from './delivery-owner.js';
import { queueRunNow, syncWorkScheduler, type WorkNoun } from './work-scheduler.js';

/**
 * The verbs reports and alerts share as scheduled, delivered work of an exploration: find, create,
 * change, delete, get and list, each checking the team in code and running under row-level
 * security, and keeping the queue's job scheduler in step; and what ran of it, and one run now.
 * A kind adds only its own columns (a report's format; an alert's conditions and reminder).
 */

type WorkTable = typeof reports | typeof alerts;
type HistoryTable = typeof reportRuns | typeof alertEvaluations;

export interface DeliveryWorkKind<T extends WorkTable, Dto, H extends HistoryTable, HistoryDto> {
  noun: WorkNoun;
  table: T;
  tableName: 'reports' | 'alerts';
  toDto: (row: T['$inferSelect']) => Dto;
  /** What ran (a report's runs, an alert's evaluations): the table, its column naming the work. */
  history: { table: H; of: AnyPgColumn; toDto: (row: H['$inferSelect']) => HistoryDto };
}

export function deliveryWorkVerbs<T extends WorkTable, Dto, H extends HistoryTable, HistoryDto>(
  kind: DeliveryWorkKind<T, Dto, H, HistoryDto>,
) {
  type Row = T['$inferSelect'];
  // Both tables have the columns used here (id, team_id, created_at); drizzle's builders cannot
  // follow a table chosen by a type parameter, so they see it as one of the two.
  const table = kind.table as typeof reports;
  const answer = (row: Row, secret: string | null) => ({
    ...kind.toDto(row),
    ...(secret ? { webhookSecret: secret } : {}),
  });

  /** Work the actor may see, else not_found; forbidden when they may not manage it. */
  async function find(tx: Transaction, actor: Actor, id: string, action: 'read' | 'manage' = 'read') {
    const [row] = await tx.select().from(table).where(eq(table.id, id));
    if (!row) throw new DomainError('not_found', `No such ${kind.noun}.`);
    checkTeamAccess(actor, row.teamId, 'read', kind.noun);
    if (action === 'manage') checkTeamAccess(actor, row.teamId, 'manage', kind.noun);
    return row as Row;
  }

  return {
    find,

    /**
     * Creates work on an exploration, in the exploration's team, and schedules it; `own` are the
     * kind's columns. A webhook target gets a signing secret, answered this once. Throws
     * not_found for an exploration the actor cannot see, forbidden unless they manage its team,
     * unprocessable for a schedule, time zone, address or webhook host that cannot be used.
     */
    async create(
      deps: AnalyticsDeps,
      actor: Actor,
      input: DeliveryWorkInput & { explorationId: string },
      own: Partial<Row>,
    ) {
      await checkWebhookTarget(deps, input.delivery);
      const id = uuidv7();
      const { row, secret } = await asViewer(deps.db, actor, async (tx) => {
        const exploration = await findExploration(tx, actor, input.explorationId);
        checkTeamAccess(actor, exploration.teamId, 'manage');
        const work = await newWorkColumns(
          deps,
          actor,
          { table: kind.tableName, id, teamId: exploration.teamId },
          input,
        );
        const [created] = await tx
          .insert(table)
          .values({ ...work.columns, explorationId: exploration.id, ...own } as typeof table.$inferInsert)
          .returning();
        return { row: created as Row, secret: work.secret };
      });
      await syncWorkScheduler(deps.jobs, kind.noun, row);
      return answer(row, secret);
    },

    /**
     * Changes work and its schedule; `own` gives the kind's columns from the current row. A new
     * webhook URL (or rotateWebhookSecret) makes a new secret, answered this once. Throws as
     * create does, and not_found for work the actor cannot see.
     */
    async update(
      deps: AnalyticsDeps,
      actor: Actor,
      id: string,
      changes: DeliveryWorkChanges,
      own: (current: Row) => Partial<Row>,
    ) {
      await checkWebhookTarget(deps, changes.delivery);
      const { row, secret } = await asViewer(deps.db, actor, async (tx) => {
        const current = await find(tx, actor, id, 'manage');
        const work = await changedWorkColumns(deps, actor, kind.tableName, current, changes);
        const [updated] = await tx
          .update(table)
          .set({ ...work.columns, ...own(current) } as Partial<typeof table.$inferInsert>)
          .where(eq(table.id, id))
          .returning();
        return { row: updated as Row, secret: work.secret };
      });
      await syncWorkScheduler(deps.jobs, kind.noun, row);
      return answer(row, secret);
    },

    /** Deletes work, its records (by cascade) and its schedule. Throws not_found / forbidden. */
    async remove(deps: AnalyticsDeps, actor: Actor, id: string) {
      await asViewer(deps.db, actor, async (tx) => {
        await find(tx, actor, id, 'manage');
        await tx.delete(table).where(eq(table.id, id));
      });
      await syncWorkScheduler(deps.jobs, kind.noun, { id, enabled: false });
    },

    /** What ran of the work, newest first. Throws not_found for work the actor cannot see. */
    history(
      deps: AnalyticsDeps,
      actor: Actor,
      id: string,
      query: { limit: number; cursor?: string | undefined },
    ) {
      // As for `table`: both history tables have the columns used here (id, started_at).
      const runs = kind.history.table as typeof reportRuns;
      const page = keysetPage({ by: [runs.startedAt, runs.id], order: 'desc' }, query);
      return asViewer(deps.db, actor, async (tx) => {
        await find(tx, actor, id);
        const rows = await tx
          .select({ ...getTableColumns(runs), pageKey: page.key })
          .from(runs)
          .where(and(eq(kind.history.of, id), page.after))
          .orderBy(...page.orderBy)
          .limit(page.limit);
        return page.of(rows, (row) => kind.history.toDto(row as H['$inferSelect']));
      });
    },

    /** Queues one run now (see queueRunNow). Throws not_found / forbidden. */
    async runNow(deps: AnalyticsDeps, actor: Actor, id: string) {
      const work = await asViewer(deps.db, actor, (tx) => find(tx, actor, id, 'manage'));
      const tickAt = new Date().toISOString();
      await queueRunNow(deps.jobs, kind.noun, work, tickAt);
      return { tickAt };
    },

    get(deps: AnalyticsDeps, actor: Actor, id: string) {
      return asViewer(deps.db, actor, async (tx) => kind.toDto(await find(tx, actor, id)));
    },

    /** A team's work of this kind, newest first. Throws not_found outside the team. */
    list(
      deps: AnalyticsDeps,
      actor: Actor,
      query: { teamId: string; limit: number; cursor?: string | undefined },
    ) {
      checkTeamAccess(actor, query.teamId, 'read');
      const page = keysetPage({ by: [table.createdAt, table.id], order: 'desc' }, query);
      return asViewer(deps.db, actor, async (tx) => {
        const rows = await tx
          .select({ ...getTableColumns(table), pageKey: page.key })
          .from(table)
          .where(and(eq(table.teamId, query.teamId), page.after))
          .orderBy(...page.orderBy)
          .limit(page.limit);
        return page.of(rows, (row) => kind.toDto(row as Row));
      });
    },
  };
}
