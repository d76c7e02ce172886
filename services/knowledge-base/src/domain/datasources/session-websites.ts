import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { datasources, kbCollections } from '../../db/schema.js';
import type { KnowledgeDeps } from '../../deps.js';
import { createCollection } from '../collections/manage-collections.js';
import { attachCollection } from '../sessions/session-collections.js';
import { assertOwnSession } from '../sessions/session-owner.js';
import { createUrlDatasource } from './url-datasources.js';

/** Marks the collection a user's bots put the websites of USE WEBSITE in (one per user). */
const PURPOSE = { purpose: 'session-websites' };

/**
 * A bot's USE WEBSITE for its session's user: the site becomes a URL data source (fetched now,
 * through the same guarded fetch as any URL source) of the user's own websites collection, made on
 * first use, and that collection is linked to the session. A site already there is not added
 * twice. Throws not_found when the session is not the actor's (as for a session that does not
 * exist), forbidden when they may not add knowledge.
 */
export async function useWebsite(deps: KnowledgeDeps, actor: Actor, sessionId: string, url: string) {
  await assertOwnSession(deps, actor, sessionId);
  const existing = await asActor(deps.db, actor, async (tx) => {
    const [collection] = await tx
      .select({ id: kbCollections.id })
      .from(kbCollections)
      .where(
        and(
          eq(kbCollections.ownerUserId, actor.userId),
          isNull(kbCollections.teamId),
          sql`${kbCollections.metadata} @> ${JSON.stringify(PURPOSE)}::jsonb`,
        ),
      )
      .limit(1);
    if (!collection) return null;
    const [source] = await tx
      .select({ id: datasources.id })
      .from(datasources)
      .where(and(eq(datasources.collectionId, collection.id), eq(datasources.url, url)))
      .limit(1);
    return { collectionId: collection.id, datasourceId: source?.id };
  });
  const collectionId =
    existing?.collectionId ??
    (
      await createCollection(deps, actor, {
        name: 'Websites read by bots',
        description: 'Sites your bots were asked to read (USE WEBSITE) in your chats.',
        metadata: PURPOSE,
      })
    ).id;
  const datasourceId =
    existing?.datasourceId ?? (await createUrlDatasource(deps, actor, collectionId, { url })).id;
  await attachCollection(deps, actor, sessionId, collectionId);
  return { collectionId, datasourceId, created: existing?.datasourceId === undefined };
}
