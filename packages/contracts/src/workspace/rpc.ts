import { z } from 'zod';
import { teamRoleSchema } from '../access.js';
import { defineRpc } from '../rpc.js';

/**
 * Who asks the workspace service about a file: the user with their organization and team roles,
 * so a team's media is visible to its members exactly as over HTTP.
 */
export const mediaActor = z.object({
  userId: z.uuid(),
  orgId: z.uuid().nullable().optional(),
  teams: z.record(z.uuid(), teamRoleSchema).optional(),
});

/**
 * What a stored file is, for services that point at one (an app's logo and avatar): read as
 * `actor`, so media they may not see answers not_found exactly as an id that never existed.
 * Public media is described to anyone; `usable` says whether it is the actor's own or their
 * team's (what they may point their own things at), not merely public. Errors: not_found.
 */
export const describeMedia = defineRpc(
  'rpc.workspace.media.describe',
  z.object({ actor: mediaActor, mediaId: z.uuid() }),
  z.object({
    id: z.uuid(),
    contentType: z.string(),
    sizeBytes: z.int().min(0),
    public: z.boolean(),
    usable: z.boolean(),
  }),
);
