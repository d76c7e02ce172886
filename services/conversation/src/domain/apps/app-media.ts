import type { Actor } from '@conduit/contracts';
import { DomainError } from '@conduit/errors';
import { describeMediaAs } from '../../clients/workspace-client.js';
import type { ConversationDeps } from '../../deps.js';

/** Where the widget downloads public media: the workspace service's public route, via the gateway. */
export const publicMediaPath = (mediaId: string) => `/v1/public/media/${mediaId}`;

/**
 * Checks that an appearance's logo or avatar is an image of the actor's own (or their team's) that
 * anyone may download (the widget shows it to visitors): asked of the workspace service as the
 * actor.
 * Throws unprocessable naming `field`, unavailable when the workspace service does not answer.
 */
export async function checkAppearanceMedia(
  deps: ConversationDeps,
  actor: Actor,
  field: string,
  mediaId: string,
) {
  const media = await describeMediaAs(deps, actor, mediaId);
  // No such file, or someone else's public file (theirs to change or delete): an unknown id.
  if (!media?.usable)
    throw new DomainError('unprocessable', `${field}: no such media.`, {
      fields: { [field]: 'no such media' },
    });
  if (!media.contentType.startsWith('image/'))
    throw new DomainError('unprocessable', `${field}: the media is not an image.`, {
      fields: { [field]: 'not an image' },
    });
  if (!media.public)
    throw new DomainError('unprocessable', `${field}: the media must be public, since visitors see it.`, {
      fields: { [field]: 'not public' },
    });
}
