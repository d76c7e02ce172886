import type { Readable } from 'node:stream';
import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { withoutActor } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { ObjectNotFoundError } from '@conduit/storage';
import { eq } from 'drizzle-orm';
import { media } from '../../db/schema.js';
import type { WorkspaceDeps } from '../../deps.js';
import { parseRange } from './byte-range.js';
import { loadMedia, type MediaRow } from './media-access.js';

/** What a download sends: the whole file (200), a range of it (206) or nothing (304, 416). */
export type Download =
  | { status: 200; file: MediaRow; body: Readable }
  | { status: 206; file: MediaRow; body: Readable; start: number; end: number }
  | { status: 304; file: MediaRow }
  | { status: 416; file: MediaRow };

export interface DownloadRequest {
  range?: string | undefined;
  ifNoneMatch?: string | undefined;
  ifRange?: string | undefined;
}

/** A file's ETag: its content hash, so any copy of the same bytes validates. */
export const etagOf = (file: Pick<MediaRow, 'sha256'>) => `"${file.sha256}"`;

async function open(deps: WorkspaceDeps, file: MediaRow, request: DownloadRequest): Promise<Download> {
  const etag = etagOf(file);
  if (request.ifNoneMatch?.split(',').some((tag) => tag.trim() === etag || tag.trim() === '*'))
    return { status: 304, file };
  // A range of a file that changed since the client's copy would mix two versions: send it whole.
  const range = request.ifRange !== undefined && request.ifRange !== etag ? undefined : request.range;
  const answer = parseRange(range, file.sizeBytes);
  try {
    if (answer.kind === 'unsatisfiable') return { status: 416, file };
    if (answer.kind === 'full') return { status: 200, file, body: await deps.store.get(file.storageKey) };
    const body = await deps.store.get(file.storageKey, { start: answer.start, end: answer.end });
    return { status: 206, file, body, start: answer.start, end: answer.end };
  } catch (error) {
    if (error instanceof ObjectNotFoundError) {
      deps.log.error({ mediaId: file.id }, 'a file row has no stored object');
      throw new DomainError('not_found', 'No such file.');
    }
    throw error;
  }
}

/** A file's content, or a range of it, for a caller who may read it (else not_found). */
export async function downloadMedia(
  deps: WorkspaceDeps,
  actor: Actor,
  mediaId: string,
  request: DownloadRequest,
) {
  const file = await asActor(deps.db, actor, (tx) => loadMedia(tx, actor, mediaId, 'read'));
  return open(deps, file, request);
}

/** A public file's content for anyone, without an account; any other id answers not_found. */
export async function downloadPublicMedia(deps: WorkspaceDeps, mediaId: string, request: DownloadRequest) {
  const [file] = await withoutActor(deps.db, (tx) => tx.select().from(media).where(eq(media.id, mediaId)));
  if (!file?.public) throw new DomainError('not_found', 'No such file.');
  return open(deps, file, request);
}
