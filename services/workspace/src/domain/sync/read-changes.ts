import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, asc, eq, gt, isNull, or, type SQL, sql } from 'drizzle-orm';
import type { AnyPgColumn, PgTable } from 'drizzle-orm/pg-core';
import {
  customizationPreferences,
  encryptedChats,
  media,
  projectChats,
  projectFiles,
  projects,
  syncHorizons,
  teamDepartures,
  themeSettings,
  tombstones,
  userPreferences,
} from '../../db/schema.js';
import type { WorkspaceDeps } from '../../deps.js';
import { visibleTo } from '../access/visible-to.js';
import { chatSummaryDto } from '../encrypted-chats/chat-dto.js';
import { mediaDto } from '../media/media-access.js';
import { customizationDto, preferencesDto, themeDto } from '../preferences/user-settings.js';
import { projectDto } from '../projects/manage-projects.js';
import { projectChatDto, projectFileDto } from '../projects/project-links.js';
import { decodeCursor, encodeCursor, type SyncCursor } from './sync-cursor.js';

export type SyncKind =
  | 'preferences'
  | 'theme'
  | 'customization'
  | 'encrypted_chat'
  | 'media'
  | 'project'
  | 'project_chat'
  | 'project_file'
  /** Only ever deleted: the caller is no longer in the team; drop every row of it. */
  | 'team';

export type Change =
  | { kind: SyncKind; id: string; deleted: false; data: Record<string, unknown> }
  | { kind: SyncKind; id: string; deleted: true; deletedAt: string };

interface Stamped {
  scope: string;
  seq: number;
  change: Change;
}

interface Source {
  table: PgTable & { syncScope: AnyPgColumn; changeSeq: AnyPgColumn };
  /** The caller's rows of the table (row-level security says the same). */
  mine: SQL | undefined;
  toChange(row: Record<string, unknown>): Change;
}

/** A departure the user has not undone by rejoining the team since. */
const departureActive = or(
  isNull(teamDepartures.rejoinedAt),
  gt(teamDepartures.leftAt, teamDepartures.rejoinedAt),
);

const resyncRequired = () =>
  new DomainError(
    'gone',
    'This sync cursor is older than the deletions the server still remembers (SYNC_TOMBSTONE_RETENTION): drop the local copy and sync again from the start, without since.',
    { fields: { resync: true } },
  );

function sources(actor: Actor): Source[] {
  const settings =
    (kind: SyncKind, toData: (row: never) => Record<string, unknown>) =>
    (row: Record<string, unknown>): Change => ({
      kind,
      id: row.userId as string,
      deleted: false,
      data: toData(row as never),
    });
  const entity =
    (kind: SyncKind, toData: (row: never) => Record<string, unknown>) =>
    (row: Record<string, unknown>): Change => ({
      kind,
      id: row.id as string,
      deleted: false,
      data: toData(row as never),
    });
  return [
    {
      table: userPreferences,
      mine: eq(userPreferences.userId, actor.userId),
      toChange: settings('preferences', preferencesDto),
    },
    {
      table: themeSettings,
      mine: eq(themeSettings.userId, actor.userId),
      toChange: settings('theme', themeDto),
    },
    {
      table: customizationPreferences,
      mine: eq(customizationPreferences.userId, actor.userId),
      toChange: settings('customization', customizationDto),
    },
    {
      table: encryptedChats,
      mine: eq(encryptedChats.ownerUserId, actor.userId),
      toChange: entity('encrypted_chat', chatSummaryDto),
    },
    { table: media, mine: visibleTo(media, actor), toChange: entity('media', mediaDto) },
    { table: projects, mine: visibleTo(projects, actor), toChange: entity('project', projectDto) },
    {
      table: projectChats,
      mine: visibleTo(projectChats, actor),
      toChange: entity('project_chat', projectChatDto),
    },
    {
      table: projectFiles,
      mine: visibleTo(projectFiles, actor),
      toChange: entity('project_file', projectFileDto),
    },
    {
      table: teamDepartures,
      mine: and(eq(teamDepartures.userId, actor.userId), departureActive),
      toChange: (row) => ({
        kind: 'team',
        id: row.leftTeamId as string,
        deleted: true,
        deletedAt: (row.leftAt as Date).toISOString(),
      }),
    },
    {
      table: tombstones,
      mine: visibleTo(tombstones, actor),
      toChange: (row) => ({
        kind: row.entity as SyncKind,
        id: row.entityId as string,
        deleted: true,
        deletedAt: (row.deletedAt as Date).toISOString(),
      }),
    },
  ];
}

/** Up to `limit` changes of one table after the cursor's position in each of `scopes`, in order. */
async function changesOf(
  tx: Transaction,
  source: Source,
  cursor: SyncCursor,
  scopes: string[],
  limit: number,
) {
  const { table } = source;
  const positions = JSON.stringify(cursor);
  const rows = (await tx
    .select()
    .from(table)
    .where(
      and(
        source.mine,
        sql`${table.syncScope} = any (${sql.param(scopes)}::uuid[])`,
        sql`${table.changeSeq} > coalesce((${positions}::jsonb ->> ${table.syncScope}::text)::bigint, 0)`,
      ),
    )
    .orderBy(asc(table.changeSeq))
    .limit(limit)) as Record<string, unknown>[];
  return rows.map(
    (row): Stamped => ({
      scope: row.syncScope as string,
      seq: row.changeSeq as number,
      change: source.toChange(row),
    }),
  );
}

/**
 * What changed for the caller after `since` (a cursor an earlier sync gave; none: everything),
 * oldest first, at most `limit`: rows created or updated (their current state), rows deleted
 * (tombstones), and teams the caller left (`kind: 'team'`, deleted: drop all of the team's rows).
 * `nextCursor` is where the next sync starts; `hasMore` says to ask again at once. Only what the
 * caller may read is ever answered: their own scope and their teams'. Throws bad_request for a
 * cursor it did not give, gone (410, `resync: true`) for one older than the kept tombstones.
 */
export async function readChanges(
  deps: WorkspaceDeps,
  actor: Actor,
  query: { since?: string | undefined; limit: number },
) {
  const given = decodeCursor(query.since);
  // One snapshot for every table read below: at read committed each statement would see its own
  // moment, and a change stamped before a later table's newest (but committed after this table was
  // read) would fall behind the cursor and never be sent.
  return asActor(
    deps.db,
    actor,
    async (tx) => {
      // A team the caller left (identity's event) is not read even while their token still names it.
      const departed = new Set(
        (
          await tx
            .select({ teamId: teamDepartures.leftTeamId })
            .from(teamDepartures)
            .where(and(eq(teamDepartures.userId, actor.userId), departureActive))
        ).map((row) => row.teamId),
      );
      const scopes = [actor.userId, ...Object.keys(actor.teams).filter((team) => !departed.has(team))];
      await assertWithinHistory(tx, given, scopes);
      // Scopes the caller has left (a team) are dropped, and said so once; new ones start from their
      // beginning.
      const left: Change[] = Object.keys(given)
        .filter((scope) => scope !== actor.userId && !scopes.includes(scope))
        .map((team) => ({ kind: 'team', id: team, deleted: true, deletedAt: new Date().toISOString() }));
      const cursor: SyncCursor = Object.fromEntries(scopes.map((scope) => [scope, given[scope] ?? 0]));
      const found: Stamped[] = [];
      for (const source of sources(actor))
        found.push(...(await changesOf(tx, source, cursor, scopes, query.limit + 1)));
      // The first `limit` by sequence: in each scope, a prefix of its changes after the cursor.
      found.sort((a, b) => a.seq - b.seq);
      // A departure on the page (recorded in the caller's own scope) drops its team from the page
      // and the cursor, as one found by the look-up above does.
      const leftNow = new Set(
        found.filter(({ change }) => change.kind === 'team').map(({ change }) => change.id),
      );
      const page = found.slice(0, query.limit).filter(({ scope }) => !leftNow.has(scope));
      for (const { scope, seq } of page) cursor[scope] = Math.max(cursor[scope] ?? 0, seq);
      for (const team of leftNow) delete cursor[team];
      const answered = new Set(page.map(({ change }) => `${change.kind}:${change.id}`));
      return {
        changes: [
          ...left.filter((change) => !answered.has(`team:${change.id}`)),
          ...page.map((item) => item.change),
        ],
        nextCursor: encodeCursor(cursor),
        hasMore: found.length > query.limit,
      };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

/**
 * Throws gone when a scope's position is behind its horizon: tombstones after that position were
 * pruned, so the client may still hold rows deleted since. A position of 0 holds nothing of the
 * scope, so it misses nothing.
 */
async function assertWithinHistory(tx: Transaction, given: SyncCursor, scopes: string[]) {
  const positioned = scopes.filter((scope) => (given[scope] ?? 0) > 0);
  if (positioned.length === 0) return;
  const horizons = await tx
    .select({ scope: syncHorizons.syncScope, prunedThrough: syncHorizons.prunedThrough })
    .from(syncHorizons)
    .where(sql`${syncHorizons.syncScope} = any (${sql.param(positioned)}::uuid[])`);
  if (horizons.some(({ scope, prunedThrough }) => given[scope]! < prunedThrough)) throw resyncRequired();
}
