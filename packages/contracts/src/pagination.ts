import { z } from 'zod';

/**
 * `?limit=&cursor=` as every list route takes it. The cursor is opaque: a list reads it back (see
 * `keysetPage` in @conduit/db) and answers 400 for one it did not give out. Its bound leaves room
 * for a sort key of long text (names, memory keys) in base64url.
 */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(8192).optional(),
});

/** `{items, nextCursor}` as every list route answers; `nextCursor` is null on the last page only. */
export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });
