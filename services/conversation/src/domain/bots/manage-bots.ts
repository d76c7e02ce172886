import { can, rlsContext } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { uuidv7, withActor } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, desc, eq, lt, or, sql } from 'drizzle-orm';
import { type BotVisibility, bots } from '../../db/schema.js';
import type { ConversationDeps } from '../../deps.js';
import { decodeCursor, encodeCursor } from '../pagination/cursor.js';
import { canOnBot, loadBot } from './bot-access.js';
import { toBotDto } from './bot-dto.js';
import { compileOrReject } from './compile-script.js';

export interface CreateBotInput {
  name: string;
  description?: string | undefined;
  teamId?: string | null | undefined;
  visibility?: BotVisibility | undefined;
  script?: string | null | undefined;
}

/**
 * Creates a bot owned by the actor, or by one of their teams. Throws forbidden without
 * `bots.write` (in that team), unprocessable when the script does not compile.
 */
export async function createBot(deps: ConversationDeps, actor: Actor, input: CreateBotInput) {
  const allowed = input.teamId
    ? can(actor, 'bots.write', { teamId: input.teamId })
    : can(actor, 'bots.write');
  if (!allowed)
    throw new DomainError(
      'forbidden',
      input.teamId ? 'You may not create bots in that team.' : 'You may not create bots.',
    );
  if (input.script) compileOrReject(input.script);
  const now = new Date();
  return withActor(deps.db, rlsContext(actor), async (tx) => {
    const [bot] = await tx
      .insert(bots)
      .values({
        id: uuidv7(),
        orgId: actor.orgId,
        ownerUserId: actor.userId,
        teamId: input.teamId ?? null,
        name: input.name,
        description: input.description ?? '',
        visibility: input.visibility ?? (input.teamId ? 'team' : 'private'),
        script: input.script ?? null,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    return toBotDto(bot!);
  });
}

/** The bots the actor can read, newest first. */
export async function listBots(
  deps: ConversationDeps,
  actor: Actor,
  page: { limit: number; cursor?: string },
) {
  const after = decodeCursor(page.cursor);
  return withActor(deps.db, rlsContext(actor), async (tx) => {
    const rows = await tx
      .select()
      .from(bots)
      .where(
        after
          ? or(lt(bots.createdAt, after.at), and(eq(bots.createdAt, after.at), lt(bots.id, after.id)))
          : sql`true`,
      )
      .orderBy(desc(bots.createdAt), desc(bots.id))
      .limit(page.limit + 1);
    const visible = rows.filter((bot) => canOnBot(actor, 'bots.read', bot));
    const items = visible.slice(0, page.limit);
    const last = rows.length > page.limit ? items[items.length - 1] : undefined;
    return { items: items.map(toBotDto), nextCursor: last ? encodeCursor(last.createdAt, last.id) : null };
  });
}

/** Throws not_found when the actor cannot see the bot. */
export async function getBot(deps: ConversationDeps, actor: Actor, botId: string) {
  return withActor(deps.db, rlsContext(actor), async (tx) =>
    toBotDto(await loadBot(tx, actor, botId, 'bots.read')),
  );
}

export interface UpdateBotInput {
  name?: string | undefined;
  description?: string | undefined;
  visibility?: BotVisibility | undefined;
  script?: string | null | undefined;
}

/** Throws not_found / forbidden, unprocessable when the new script does not compile. */
export async function updateBot(deps: ConversationDeps, actor: Actor, botId: string, input: UpdateBotInput) {
  if (input.script) compileOrReject(input.script);
  return withActor(deps.db, rlsContext(actor), async (tx) => {
    await loadBot(tx, actor, botId, 'bots.write');
    const [bot] = await tx
      .update(bots)
      .set({
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.visibility !== undefined ? { visibility: input.visibility } : {}),
        ...(input.script !== undefined ? { script: input.script || null } : {}),
        updatedAt: new Date(),
      })
      .where(eq(bots.id, botId))
      .returning();
    return toBotDto(bot!);
  });
}

/** Deletes a bot with its configuration, memories, tools and sessions. Throws not_found / forbidden. */
export async function deleteBot(deps: ConversationDeps, actor: Actor, botId: string) {
  await withActor(deps.db, rlsContext(actor), async (tx) => {
    await loadBot(tx, actor, botId, 'bots.write');
    await tx.delete(bots).where(eq(bots.id, botId));
  });
}
