import type { Readable } from 'node:stream';
import { asActor } from '@conduit/auth';
import type { Actor } from '@conduit/contracts';
import { uuidv7 } from '@conduit/db';
import { DomainError } from '@conduit/errors';
import { ObjectTooLargeError, type StoredObject } from '@conduit/storage';
import { media } from '../../db/schema.js';
import type { WorkspaceDeps } from '../../deps.js';
import { newOwnership } from '../access/workspace-access.js';
import { displayName } from './display-name.js';
import { mediaDto } from './media-access.js';
import { sniffContentType } from './sniff-content-type.js';
import { megabytesOf, payerOf, releaseStorage, reserveStorage } from './storage-usage.js';

export interface Upload {
  /** The file's bytes as they arrive; never held whole. */
  body: Readable;
  /** What the client called the file: shown, never used as a path. */
  fileName: string | undefined;
  /** At most this many bytes can arrive (the request's Content-Length): what is reserved first. */
  announcedBytes: number;
  teamId?: string | null | undefined;
  public?: boolean | undefined;
}

export const tooLarge = (limitBytes: number) =>
  new DomainError('payload_too_large', `Files are limited to ${Math.floor(limitBytes / 1024 / 1024)} MiB.`);

/**
 * Stores an uploaded file for the caller (or one of their teams, which then pays for it). The
 * announced size is reserved of the payer's storage_mb before a byte is read, and what the file
 * did not use is given back once it is stored; a failure gives back everything and keeps no
 * object. The content type is what the bytes are (see sniffContentType), the hash their SHA-256.
 * Throws limit_reached (402) over quota, payload_too_large past UPLOAD_LIMIT_BYTES, not_found /
 * forbidden for a team the caller is not in / only views.
 */
export async function uploadMedia(deps: WorkspaceDeps, actor: Actor, upload: Upload) {
  const limit = deps.env.UPLOAD_LIMIT_BYTES;
  const ownership = newOwnership(actor, upload.teamId);
  const payer = payerOf(ownership);
  // Past the limit by more than a multipart envelope: refused before anything is reserved.
  if (upload.announcedBytes > limit + 64 * 1024) throw tooLarge(limit);
  const reservation = await reserveStorage(deps, payer, megabytesOf(Math.min(upload.announcedBytes, limit)));

  let stored: StoredObject | undefined;
  try {
    const { stream, contentType } = await sniffContentType(upload.body);
    stored = await deps.store.put(stream, { maxBytes: limit });
    const used = megabytesOf(stored.sizeBytes);
    const row = await asActor(deps.db, actor, async (tx) => {
      const [inserted] = await tx
        .insert(media)
        .values({
          id: uuidv7(),
          ...ownership,
          name: displayName(upload.fileName),
          contentType,
          sizeBytes: stored!.sizeBytes,
          sha256: stored!.sha256,
          storageKey: stored!.key,
          public: upload.public ?? false,
          usageMb: used,
          usagePeriodEnd: reservation.periodEnd ? new Date(reservation.periodEnd) : null,
        })
        .returning();
      return inserted!;
    });
    await releaseStorage(deps, payer, reservation.megabytes - used, reservation.periodEnd);
    return mediaDto(row);
  } catch (error) {
    if (stored) await deps.store.delete(stored.key).catch(() => {});
    await releaseStorage(deps, payer, reservation.megabytes, reservation.periodEnd);
    if (
      error instanceof ObjectTooLargeError ||
      (error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE'
    )
      throw tooLarge(limit);
    throw error;
  }
}
