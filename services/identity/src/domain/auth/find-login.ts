import { type Database, withoutActor } from '@conduit/db';
import { sql } from 'drizzle-orm';

export type LoginRecord = {
  user_id: string;
  organization_id: string;
  password_hash: string;
  active: boolean;
};

/** The one thing identity reads before it knows the user: the credentials of an email. */
export async function findLogin(db: Database, email: string): Promise<LoginRecord | undefined> {
  return withoutActor(db, async (tx) => {
    const rows = await tx.execute<LoginRecord>(sql`select * from identity.find_login(${email})`);
    return rows[0];
  });
}

/** The owner of a refresh, login or reset token, found by the token's hash. */
export async function findTokenOwner(
  db: Database,
  kind: 'refresh' | 'login' | 'reset',
  tokenHash: string,
): Promise<string | undefined> {
  return withoutActor(db, async (tx) => {
    const rows = await tx.execute<{ owner: string | null }>(
      sql`select identity.find_token_owner(${kind}, ${tokenHash}) as owner`,
    );
    return rows[0]?.owner ?? undefined;
  });
}
