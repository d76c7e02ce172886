import { asActor, can } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { keysetPage, uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { eq, getTableColumns } from 'drizzle-orm';
import { type BotVisibility, bots } from '../../db/schema.js';
import type { ConversationDeps } from '../../deps.js';
import { canOnBot, loadBot } from './bot-access.js';
import { toBotDto } from './bot-dto.js';
import { appendBotDeleted, appendBotSaved } from './bot-events.js';
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
  return asActor(deps.db, actor, async (tx) => {
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
    await appendBotSaved(tx, actor, bot!);
    return toBotDto(bot!);
  });
}

/** The bots the actor can read, newest first. Throws bad_request for a cursor it did not give. */
export async function listBots(
  deps: ConversationDeps,
  actor: Actor,
  query: { limit: number; cursor?: string | undefined },
) {
  const page = keysetPage({ by: [bots.createdAt, bots.id], order: 'desc' }, query);
  return asActor(deps.db, actor, async (tx) => {
    const rows = await tx
      .select({ ...getTableColumns(bots), pageKey: page.key })
      .from(bots)
      .where(page.after)
      .orderBy(...page.orderBy)
      .limit(page.limit);
    // The cursor follows the rows read, so a page thinned by the check still leads on.
    const { items, nextCursor } = page.of(rows, (row) => row);
    return {
      items: items.filter((bot) => canOnBot(actor, 'bots.read', bot)).map(toBotDto),
      nextCursor,
    };
  });
}

/** Throws not_found when the actor cannot see the bot. */
export async function getBot(deps: ConversationDeps, actor: Actor, botId: string) {
  return asActor(deps.db, actor, async (tx) => toBotDto(await loadBot(tx, actor, botId, 'bots.read')));
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
  return asActor(deps.db, actor, async (tx) => {
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
    await appendBotSaved(tx, actor, bot!);
    return toBotDto(bot!);
  });
}

/** Deletes a bot with its configuration, memories, tools and sessions. Throws not_found / forbidden. */
export async function deleteBot(deps: ConversationDeps, actor: Actor, botId: string) {
  await asActor(deps.db, actor, async (tx) => {
    const bot = await loadBot(tx, actor, botId, 'bots.write');
    await tx.delete(bots).where(eq(bots.id, botId));
    await appendBotDeleted(tx, actor, bot);
  });
}
