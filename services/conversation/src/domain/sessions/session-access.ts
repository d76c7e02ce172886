import type { Actor } from '@conduit/contracts';
import type { Transaction } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { sessions } from '../../db/schema.js';
import { suggestionsOf } from './session-extras.js';

export type SessionRow = typeof sessions.$inferSelect;

export const sessionNotFound = () => new DomainError('not_found', 'No such session.');

/**
 * Loads a session of the actor. Row-level security shows a user only their own sessions (and the
 * platform admin all of them, to read); `forWrite` also refuses anyone but the session's user.
 * Throws not_found otherwise.
 */
export async function loadSession(
  tx: Transaction,
  actor: Actor,
  sessionId: string,
  options: { forWrite?: boolean; lock?: boolean } = {},
): Promise<SessionRow> {
  const query = tx.select().from(sessions).where(eq(sessions.id, sessionId));
  const [session] = options.lock ? await query.for('update') : await query;
  if (!session) throw sessionNotFound();
  if (session.userId !== actor.userId && (options.forWrite || !actor.platformAdmin)) throw sessionNotFound();
  return session;
}

/** Throws gone when the session was ended or has expired: a new one must be started. */
export function assertOpen(session: SessionRow) {
  if (session.endedAt) throw new DomainError('gone', 'This session has ended; start a new one.');
  if (session.expiresAt.getTime() <= Date.now())
    throw new DomainError('gone', 'This session expired after a long silence; start a new one.');
}

/** The path parameters of a session's routes. */
export const sessionParams = z.object({ sessionId: z.uuid() });

export const sessionDto = z.object({
  id: z.uuid(),
  botId: z.uuid(),
  userId: z.uuid(),
  channel: z.string(),
  title: z.string().nullable(),
  /** What the bot's dialog waits for, when it waits for an answer. */
  awaiting: z
    .object({ variable: z.string(), type: z.string(), options: z.array(z.string()).nullable() })
    .nullable(),
  knowledgeBases: z.array(z.object({ name: z.string(), collectionId: z.uuid() })),
  /** Quick replies the bot's dialog offers (ADD SUGGESTION), until it clears them. */
  suggestions: z.array(z.object({ key: z.string(), text: z.string() })),
  startedAt: z.string(),
  lastActivityAt: z.string(),
  endedAt: z.string().nullable(),
  expiresAt: z.string(),
});
export type SessionDto = z.infer<typeof sessionDto>;

export const toSessionDto = (s: SessionRow): SessionDto => ({
  id: s.id,
  botId: s.botId,
  userId: s.userId,
  channel: s.channel,
  title: s.title,
  awaiting: s.context.dialog?.reason === 'hear' ? (s.context.dialog.prompt ?? null) : null,
  knowledgeBases: s.context.kbs ?? [],
  suggestions: suggestionsOf(s.context),
  startedAt: s.startedAt.toISOString(),
  lastActivityAt: s.lastActivityAt.toISOString(),
  endedAt: s.endedAt?.toISOString() ?? null,
  expiresAt: s.expiresAt.toISOString(),
});
