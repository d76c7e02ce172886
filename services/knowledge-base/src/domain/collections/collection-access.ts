import { can, type ResourceRef } from '@conduit/auth';
import type { Actor, Permission } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { eq } from 'drizzle-orm';
import { kbCollections } from '../../db/schema.js';

export type CollectionRow = typeof kbCollections.$inferSelect;

/** The owner keeps their rights on a team collection; the team's members get theirs by role. */
export const collectionRef = (collection: CollectionRow): ResourceRef => ({
  ownerUserId: collection.ownerUserId,
  teamId: collection.visibility === 'team' ? collection.teamId : null,
  orgId: collection.organizationId,
});

export const notFound = () => new DomainError('not_found', 'No such collection.');

/**
 * The collection, if the actor may use it for `permission`. Throws not_found when the actor may
 * not even read it (whether or not it exists: a stranger learns nothing), and forbidden when they
 * may read it but not change it (a team viewer).
 */
export async function loadCollection(
  tx: Transaction,
  actor: Actor,
  collectionId: string,
  permission: Extract<Permission, 'kb.read' | 'kb.write'>,
): Promise<CollectionRow> {
  const [collection] = await tx.select().from(kbCollections).where(eq(kbCollections.id, collectionId));
  if (!collection || !can(actor, 'kb.read', collectionRef(collection))) throw notFound();
  if (permission === 'kb.write' && !can(actor, 'kb.write', collectionRef(collection)))
    throw new DomainError('forbidden', 'Your role lets you read this collection but not change it.');
  return collection;
}
