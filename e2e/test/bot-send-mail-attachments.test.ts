import { readFile } from 'node:fs/promises';
import { pageCount } from '@conduit/bot-files';
import { handOverBytes, requestRpc, transferBucketName } from '@conduit/bus';
import { workspaceRpc } from '@conduit/contracts';
import {
  type ConversationHarness,
  startConversationHarness,
} from '@conduit/conversation/test/fixtures/conversation-harness.js';
import {
  eventually,
  type MailHarness,
  startMailHarness,
} from '@conduit/email-sync/test/fixtures/mail-harness.js';
import { startSmtpServer, type TestSmtpServer } from '@conduit/testing';
import {
  startWorkspaceHarness,
  type WorkspaceHarness,
} from '@conduit/workspace/test/fixtures/workspace-harness.js';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// SEND MAIL with a bot file attached, end to end: conversation runs the dialog and records
// conversation.mail.requested with the file's path (never its bytes); email-sync's worker consumes
// it, reads the file from the real workspace service (rpc.workspace.bot_files.read, bytes through
// the bus's object store) as the bot's owner, and sends it through MAIL_URL, a real SMTP server
// run here. The attachment that arrives is checked byte for byte against the stored file.

let platform: TestSmtpServer;
let mail: MailHarness;
let conversation: ConversationHarness;
let workspace: WorkspaceHarness;
type Minted = Awaited<ReturnType<ConversationHarness['tokens']['mint']>>;
let owner: Minted;

beforeAll(async () => {
  platform = await startSmtpServer();
  mail = await startMailHarness({
    env: {
      SYNC_EVERY: '1h',
      MAIL_URL: `smtp://127.0.0.1:${platform.port}`,
      MAIL_FROM: 'Conduit Bots <bots@conduit.test>',
    },
  });
  const namespace = mail.childEnv.BUS_NAMESPACE!;
  // The mail harness answers identity's usage RPCs (emails_sent, storage_mb) on the namespace.
  conversation = await startConversationHarness({ namespace, usage: false });
  workspace = await startWorkspaceHarness({ namespace, usage: false });
  owner = await conversation.tokens.mint({ perms: ['bots.read', 'bots.write'] });
}, 180_000);
afterAll(async () => {
  await conversation?.bus.jsm.streams.delete(`OBJ_${transferBucketName(conversation.bus)}`).catch(() => {});
  await workspace?.close();
  await conversation?.close();
  await mail?.close();
  await platform?.stop();
});

async function call(method: string, url: string, payload?: object) {
  const res = await conversation.app.inject({
    method: method as 'GET',
    url,
    headers: owner.headers,
    payload,
  });
  if (res.statusCode >= 300) throw new Error(`${method} ${url} -> ${res.statusCode} ${res.body}`);
  return res.json();
}

async function storedFile(botId: string, path: string): Promise<Buffer> {
  const [row] = await workspace.admin<{ storage_key: string }[]>`
    select storage_key from workspace.bot_files where bot_id = ${botId} and path = ${path}`;
  const chunks: Buffer[] = [];
  for await (const chunk of await workspace.deps.store.get(row!.storage_key)) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

const arrivedFor = (to: string) =>
  eventually(
    async () => platform.received.find((m) => m.envelope.to.includes(to)),
    60_000,
    `the mail to ${to} at the SMTP server`,
  );

describe('examples/basic/sales-report-pdf.bas, unchanged', () => {
  it('mails the PDF it made, the bytes the bot keeps', async () => {
    const script = await readFile(
      new URL('../../examples/basic/sales-report-pdf.bas', import.meta.url),
      'utf8',
    );
    const bot = await call('POST', '/v1/bots', { name: 'Sales reports', script });
    await call('PUT', `/v1/bots/${bot.id}/config`, {
      items: [{ key: 'param-reportTo', value: 'team@example.org' }],
    });
    const imported = await conversation.app.inject({
      method: 'POST',
      url: `/v1/bots/${bot.id}/tables/sales/csv?key=id`,
      headers: { ...owner.headers, 'content-type': 'text/csv' },
      payload:
        'id,customer,region,total,status\n1,Ana,north,1200,paid\n2,Rui,north,300.5,paid\n3,Eva,south,80,paid\n',
    });
    expect(imported.statusCode, imported.body).toBe(200);
    const reply = await call('POST', `/v1/bots/${bot.id}/sessions`, {});
    const day = new Date().toISOString().slice(0, 10);
    expect(reply.messages.map((m: { content: string }) => m.content)).toEqual([
      `**Report ready:** reports/sales-${day}.pdf (1 pages) and reports/sales-${day}.csv, mailed to team@example.org.`,
    ]);

    const arrived = await arrivedFor('team@example.org');
    const parsed = await simpleParser(arrived.raw);
    expect(parsed.subject).toBe(`Paid sales report ${day}`);
    expect(parsed.text).toContain('(3 sales, 1,580.50) is attached');
    expect(parsed.attachments).toHaveLength(1);
    const [pdf] = parsed.attachments;
    expect(pdf!.filename).toBe(`sales-${day}.pdf`);
    expect(pdf!.contentType).toBe('application/pdf');
    const kept = await storedFile(bot.id, `reports/sales-${day}.pdf`);
    expect(Buffer.compare(pdf!.content, kept)).toBe(0);
    expect(await pageCount(pdf!.content)).toBe(1);

    // Sent once, and the stored message carries the PDF (a retry would send these bytes).
    const [row] = await eventually(
      async () => {
        const rows = await mail.admin<{ status: string; user_id: string; raw: string }[]>`
          select status, user_id, raw from email.email_outbound where 'team@example.org' = any(to_addresses)`;
        return rows[0]?.status === 'sent' && rows;
      },
      20_000,
      'the outbound message settled',
    );
    expect(row!.user_id).toBe(owner.userId);
    expect(row!.raw).toContain(kept.toString('base64').slice(0, 76));
  });
});

describe('SEND MAIL with a file the bot does not have', () => {
  it('goes on in the script; the mail is recorded failed with the reason, charged nothing, and nothing is sent', async () => {
    const script = [
      'WRITE "notes/kept.txt", "kept"',
      'SEND MAIL "nobody@example.org", "Missing", "See attached.", ["notes/kept.txt", "reports/none.pdf"]',
      'TALK "asked"',
    ].join('\n');
    const bot = await call('POST', '/v1/bots', { name: 'Forgetful', script });
    const usageBefore = mail.usage.calls.length;
    const reply = await call('POST', `/v1/bots/${bot.id}/sessions`, {});
    expect(reply.messages.map((m: { content: string }) => m.content)).toEqual(['asked']);
    const [row] = await eventually(
      async () => {
        const rows = await mail.admin<
          { status: string; last_error: string | null; usage_amount: number | null }[]
        >`
          select status, last_error, usage_amount from email.email_outbound
          where 'nobody@example.org' = any(to_addresses)`;
        return rows.length > 0 && rows;
      },
      30_000,
      'the failed outbound row',
    );
    expect(row).toMatchObject({ status: 'failed', usage_amount: null });
    expect(row!.last_error).toBe(`attachment "reports/none.pdf" is not one of the bot's files`);
    expect(
      mail.usage.calls
        .slice(usageBefore)
        .filter((c) => c.items.some((item) => item.metric === 'emails_sent')),
    ).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(platform.received.filter((m) => m.envelope.to.includes('nobody@example.org'))).toEqual([]);
  });

  it('files over 8 MiB together: recorded failed with the reason, nothing sent', async () => {
    const bot = await call('POST', '/v1/bots', {
      name: 'Heavy',
      script: 'SEND MAIL "heavy@example.org", "Big", "Two files", ["big/a.bin", "big/b.bin"]\nTALK "asked"',
    });
    // Written through the workspace's RPC as the bot's owner, as the bot's WRITE would.
    for (const [path, size] of [
      ['big/a.bin', 5 * 1024 * 1024],
      ['big/b.bin', 4 * 1024 * 1024],
    ] as const) {
      const transfer = await handOverBytes(conversation.bus, Buffer.alloc(size, 1));
      await requestRpc(
        conversation.bus,
        workspaceRpc.writeBotFile,
        { bot: { botId: bot.id, ownerUserId: owner.userId, teamId: null }, path, transfer },
        { timeoutMs: 30_000 },
      );
    }
    const reply = await call('POST', `/v1/bots/${bot.id}/sessions`, {});
    expect(reply.messages.map((m: { content: string }) => m.content)).toEqual(['asked']);
    const [row] = await eventually(
      async () => {
        const rows = await mail.admin<{ status: string; last_error: string | null }[]>`
          select status, last_error from email.email_outbound where 'heavy@example.org' = any(to_addresses)`;
        return rows.length > 0 && rows;
      },
      30_000,
      'the failed outbound row',
    );
    expect(row).toEqual({
      status: 'failed',
      last_error: 'attachments are more than 8 MiB together (at "big/b.bin")',
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(platform.received.filter((m) => m.envelope.to.includes('heavy@example.org'))).toEqual([]);
  });

  it("a path that tries '../' is the script's error at once, and nothing is asked", async () => {
    const bot = await call('POST', '/v1/bots', {
      name: 'Sneaky',
      script: 'SEND MAIL "x@example.org", "Escape", "b", "../secrets.txt"\nTALK "sent"',
    });
    const reply = await call('POST', `/v1/bots/${bot.id}/sessions`, {});
    const said = reply.messages.map((m: { content: string }) => m.content).join('\n');
    expect(said).not.toContain('sent');
    const [asked] = await conversation.admin<{ n: number }[]>`
      select count(*)::int as n from conversation.outbox where subject = 'conversation.mail.requested'
        and payload -> 'data' ->> 'botId' = ${bot.id}`;
    expect(asked!.n).toBe(0);
  });
});
