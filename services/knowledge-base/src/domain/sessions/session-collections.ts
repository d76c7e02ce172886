import { rlsContext } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { type Transaction, uuidv7, withActor } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, asc, eq, sql } from 'drizzle-orm';
import { kbCollections, userKbAssociations } from '../../db/schema.js';
import type { KnowledgeDeps } from '../../deps.js';
import { loadCollection } from '../collections/collection-access.js';
import { toCollectionDto } from '../collections/collection-dto.js';

/**
 * A chat session's knowledge bases (the `USE KB` of bots). Sessions belong to the conversation
 * service; here a session id is claimed by the first user who links a collection to it, and only
 * that user sees or changes its links.
 */
const sessionNotFound = () => new DomainError('not_found', 'No such session.');

async function assertSessionIsActors(tx: Transaction, actor: Actor, sessionId: string) {
  const [row] = await tx.execute<{ owner: string | null }>(
    sql`select knowledge.session_user_id(${sessionId}) as owner`,
  );
  if (row?.owner && row.owner !== actor.userId) throw sessionNotFound();
}

/** Links a collection the actor can read to their session; answers whether the link is new. */
export async function attachCollection(
  deps: KnowledgeDeps,
  actor: Actor,
  sessionId: string,
  collectionId: string,
) {
  return withActor(deps.db, rlsContext(actor), async (tx) => {
    await assertSessionIsActors(tx, actor, sessionId);
    const collection = await loadCollection(tx, actor, collectionId, 'kb.read');
    const inserted = await tx
      .insert(userKbAssociations)
      .values({ id: uuidv7(), sessionId, userId: actor.userId, collectionId })
      .onConflictDoNothing()
      .returning();
    const [link] = inserted.length
      ? inserted
      : await tx
          .select()
          .from(userKbAssociations)
          .where(
            and(
              eq(userKbAssociations.sessionId, sessionId),
              eq(userKbAssociations.collectionId, collectionId),
            ),
          );
    return {
      created: inserted.length > 0,
      link: { sessionId, collection: toCollectionDto(collection), attachedAt: link!.createdAt.toISOString() },
    };
  });
}

/** Unlinks a collection from the actor's session. Throws not_found when it was not linked. */
export async function detachCollection(
  deps: KnowledgeDeps,
  actor: Actor,
  sessionId: string,
  collectionId: string,
) {
  await withActor(deps.db, rlsContext(actor), async (tx) => {
    const deleted = await tx
      .delete(userKbAssociations)
      .where(
        and(
          eq(userKbAssociations.sessionId, sessionId),
          eq(userKbAssociations.collectionId, collectionId),
          eq(userKbAssociations.userId, actor.userId),
        ),
      )
      .returning({ id: userKbAssociations.id });
    if (deleted.length === 0)
      throw new DomainError('not_found', 'That collection is not linked to this session.');
  });
}

/** The collections linked to the actor's session (those they can still read), in link order. */
export async function listSessionCollections(deps: KnowledgeDeps, actor: Actor, sessionId: string) {
  return withActor(deps.db, rlsContext(actor), async (tx) => {
    await assertSessionIsActors(tx, actor, sessionId);
    const rows = await tx
      .select()
      .from(userKbAssociations)
      .innerJoin(kbCollections, eq(kbCollections.id, userKbAssociations.collectionId))
      .where(and(eq(userKbAssociations.sessionId, sessionId), eq(userKbAssociations.userId, actor.userId)))
      .orderBy(asc(userKbAssociations.createdAt), asc(userKbAssociations.id));
    return {
      items: rows.map((r) => ({
        sessionId,
        collection: toCollectionDto(r.kb_collections),
        attachedAt: r.user_kb_associations.createdAt.toISOString(),
      })),
      nextCursor: null,
    };
  });
}
