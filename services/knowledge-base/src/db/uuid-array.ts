import { type SQL, sql } from 'drizzle-orm';

/** A list of ids as one bound `uuid[]` parameter (a constant to Postgres, which hashes `= any` of it). */
export const uuidArray = (ids: string[]): SQL => sql`${`{${ids.join(',')}}`}::uuid[]`;
