import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { keysetPage, type PageRequest, uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { and, eq } from 'drizzle-orm';
import { kbCollections, userKbAssociations } from '../../db/schema.js';
import type { KnowledgeDeps } from '../../deps.js';
import { loadCollection } from '../collections/collection-access.js';
import { toCollectionDto } from '../collections/collection-dto.js';
import { assertOwnSession } from './session-owner.js';

/**
 * A chat session's knowledge bases (the `USE KB` of bots). Sessions belong to the conversation
 * service, which says who owns each (session-owner.ts): only that user sees or changes its links,
 * and anyone else is answered exactly as for a session that does not exist.
 */

/** Links a collection the actor can read to their session; answers whether the link is new. */
export async function attachCollection(
  deps: KnowledgeDeps,
  actor: Actor,
  sessionId: string,
  collectionId: string,
) {
  await assertOwnSession(deps, actor, sessionId);
  return asActor(deps.db, actor, async (tx) => {
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

/**
 * Unlinks a collection from the actor's session. Throws not_found when the session is not theirs,
 * or the collection was not linked.
 */
export async function detachCollection(
  deps: KnowledgeDeps,
  actor: Actor,
  sessionId: string,
  collectionId: string,
) {
  await assertOwnSession(deps, actor, sessionId);
  await asActor(deps.db, actor, async (tx) => {
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

/**
 * The collections linked to the actor's session (those they can still read), in link order.
 * Throws not_found when the session is not theirs, bad_request for a cursor this list did not give.
 */
export async function listSessionCollections(
  deps: KnowledgeDeps,
  actor: Actor,
  sessionId: string,
  query: PageRequest,
) {
  const page = keysetPage({ by: [userKbAssociations.createdAt, userKbAssociations.id], order: 'asc' }, query);
  await assertOwnSession(deps, actor, sessionId);
  return asActor(deps.db, actor, async (tx) => {
    const rows = await tx
      .select({ link: userKbAssociations, collection: kbCollections, pageKey: page.key })
      .from(userKbAssociations)
      .innerJoin(kbCollections, eq(kbCollections.id, userKbAssociations.collectionId))
      .where(
        and(
          eq(userKbAssociations.sessionId, sessionId),
          eq(userKbAssociations.userId, actor.userId),
          page.after,
        ),
      )
      .orderBy(...page.orderBy)
      .limit(page.limit);
    return page.of(rows, (r) => ({
      sessionId,
      collection: toCollectionDto(r.collection),
      attachedAt: r.link.createdAt.toISOString(),
    }));
  });
}
