import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectAccount,
  eventually,
  type MailHarness,
  rawMessage,
  startMailHarness,
} from '../fixtures/mail-harness.js';

let h: MailHarness;
const ana = { user: 'ana@example.test', password: 'ana-secret-1' };

beforeAll(async () => {
  h = await startMailHarness({ users: [ana], env: { IDLE_ENABLED: 'false' } });
});
afterAll(async () => h?.close());

describe('row-level security', () => {
  it('is forced on every table holding user data; the runtime role sees nothing of others', async () => {
    const tables = await h.admin`
      select c.relname, c.relrowsecurity, c.relforcerowsecurity, pg_get_userbyid(c.relowner) as owner
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'email' and c.relkind = 'r'
        and c.relname not in ('__migrations', 'outbox', 'processed_events', 'failed_jobs')`;
    expect(tables.map((t) => t.relname).sort()).toEqual(
      [
        'email_drafts',
        'email_folders',
        'email_messages',
        'email_outbound',
        'email_templates',
        'user_email_accounts',
      ].sort(),
    );
    for (const table of tables) {
      expect(table, table.relname).toMatchObject({ relrowsecurity: true, relforcerowsecurity: true });
      expect(table.owner).not.toBe('email_app');
    }

    await h.dovecot.deliver(ana.user, rawMessage({ subject: 'private' }));
    const owner = await h.tokens.mint();
    const account = await connectAccount(h, owner.token, ana);
    await eventually(async () => {
      const [n] =
        await h.admin`select count(*)::int as n from email.email_messages where account_id = ${account.id}`;
      return n?.n === 1;
    });
    const app = postgres(h.database.appUrl, { max: 1, onnotice: () => {} });
    try {
      // Without an actor: nothing, but the system templates (platform mail, read by all).
      for (const table of tables) {
        const own = table.relname === 'email_templates' ? ' where key is null' : '';
        const [row] = await app.unsafe(`select count(*)::int as n from email.${table.relname}${own}`);
        expect(row!.n, table.relname).toBe(0);
      }
      const [changed] = await app.begin(async (tx) => {
        const forged = await tx`update email.email_templates set subject = 'forged' returning id`;
        return [forged.length];
      });
      expect(changed).toBe(0);
      const stranger = await h.tokens.mint();
      const seen = await app.begin(async (tx) => {
        await tx`select set_config('app.user_id', ${stranger.userId}, true)`;
        return {
          accounts: (await tx`select id from email.user_email_accounts`).length,
          messages: (await tx`select id from email.email_messages`).length,
          forged: await tx`update email.email_messages set subject = 'forged' returning id`,
        };
      });
      expect(seen).toEqual({ accounts: 0, messages: 0, forged: [] });
      const asOwner = await app.begin(async (tx) => {
        await tx`select set_config('app.user_id', ${owner.userId}, true)`;
        return (await tx`select subject from email.email_messages`).map((r) => r.subject);
      });
      expect(asOwner).toEqual(['private']);
    } finally {
      await app.end({ timeout: 5 });
    }
  });
});
