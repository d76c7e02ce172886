import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildZip, extractZip, pageCount } from '@conduit/bot-files';
import { transferBucketName } from '@conduit/bus';
import {
  type ConversationHarness,
  startConversationHarness,
} from '@conduit/conversation/test/fixtures/conversation-harness.js';
import {
  startWorkspaceHarness,
  type WorkspaceHarness,
} from '@conduit/workspace/test/fixtures/workspace-harness.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The bot file keywords of issue #19 (family 4) in a bot's dialog: conversation runs the script,
// the real workspace service keeps the files (rpc.workspace.bot_files.*, bytes through the bus's
// object store) on Postgres, NATS and its object store; DOWNLOAD and UPLOAD reach a local HTTP
// server through the outbound guard. Each keyword is checked by what it left: stored bytes, zip
// entries, PDF pages, what the server received, and nothing written where it was refused.

let conversation: ConversationHarness;
let workspace: WorkspaceHarness;
let server: Server;
let base: string;
const uploads: { contentType: string; body: string }[] = [];
type Minted = Awaited<ReturnType<ConversationHarness['tokens']['mint']>>;
let owner: Minted;
const orgId = crypto.randomUUID();

/** What the local server serves: a CSV, and a zip of 100,000 entries (a bomb by count). */
let bombZip: Uint8Array;

beforeAll(async () => {
  const entries: { name: string; bytes: Uint8Array }[] = [];
  for (let i = 0; i < 100_000; i++) entries.push({ name: `f${i}.txt`, bytes: new Uint8Array() });
  bombZip = buildZip(entries);
  server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/prices.csv') {
      res.writeHead(200, { 'content-type': 'text/csv' });
      return res.end('sku,price\npen,1.5\ncup,4\n');
    }
    if (req.method === 'GET' && req.url === '/bomb.zip') {
      res.writeHead(200, { 'content-type': 'application/zip' });
      return res.end(Buffer.from(bombZip));
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      uploads.push({
        contentType: String(req.headers['content-type']),
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ stored: true, bytes: Buffer.concat(chunks).length }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  conversation = await startConversationHarness({
    env: { SCRIPT_HTTP_ALLOW: '127.0.0.0/8', SCRIPT_HTTP_MAX_BYTES: String(32 * 1024 * 1024) },
  });
  workspace = await startWorkspaceHarness({ namespace: conversation.namespace, usage: false });
  owner = await conversation.tokens.mint({ orgId, perms: ['bots.read', 'bots.write'] });
}, 120_000);
afterAll(async () => {
  await conversation?.bus.jsm.streams.delete(`OBJ_${transferBucketName(conversation.bus)}`).catch(() => {});
  await workspace?.close();
  await conversation?.close();
  await new Promise((resolve) => server?.close(resolve));
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

/** A bot with this script, started once: what it said. */
async function runBot(script: string) {
  const bot = await call('POST', '/v1/bots', { name: 'Files bot', script });
  const reply = await call('POST', `/v1/bots/${bot.id}/sessions`, {});
  return {
    botId: bot.id as string,
    said: (reply.messages as { sender: string; content: string }[])
      .filter((m) => m.sender !== 'user')
      .map((m) => m.content),
  };
}

/** The bot's files as the workspace keeps them: path to bytes. */
async function filesOf(botId: string): Promise<Map<string, Buffer>> {
  const rows = await workspace.admin<{ path: string; storage_key: string }[]>`
    select path, storage_key from workspace.bot_files where bot_id = ${botId} order by path`;
  const files = new Map<string, Buffer>();
  for (const row of rows) {
    const chunks: Buffer[] = [];
    for await (const chunk of await workspace.deps.store.get(row.storage_key))
      chunks.push(Buffer.from(chunk));
    files.set(row.path, Buffer.concat(chunks));
  }
  return files;
}

const text = (files: Map<string, Buffer>, path: string) => files.get(path)?.toString('utf8');

describe('bot files in a dialog, kept by the workspace service', () => {
  it('WRITE, READ, LIST, COPY, MOVE and DELETE FILE', async () => {
    const { botId, said } = await runBot(`WRITE "notes/hello.txt", "Hello, files"
WRITE "notes/leads.csv", [{"name": "Ana", "size": 12}, {"name": "Rui, Jr", "size": 3}]
WRITE "notes/config.json", {"plan": "pro"}
text = READ "notes/hello.txt"
COPY "notes/hello.txt", "notes/copy.txt"
MOVE "notes/copy.txt", "archive/moved.txt"
WRITE "tmp/gone.txt", "x"
DELETE FILE "tmp/gone.txt"
files = LIST "notes"
all = LIST ""
TALK text & "|" & LEN(files) & "|" & files[0].name & "|" & files[0].size & "|" & LEN(all)`);
    expect(said).toEqual(['Hello, files|3|config.json|19|4']);
    const files = await filesOf(botId);
    expect([...files.keys()]).toEqual([
      'archive/moved.txt',
      'notes/config.json',
      'notes/hello.txt',
      'notes/leads.csv',
    ]);
    expect(text(files, 'archive/moved.txt')).toBe('Hello, files');
    expect(text(files, 'notes/leads.csv')).toBe('name,size\r\nAna,12\r\n"Rui, Jr",3\n');
    expect(JSON.parse(text(files, 'notes/config.json')!)).toEqual({ plan: 'pro' });
    // The files are the bot owner's (a personal bot: no team).
    const owned = await workspace.admin`select owner_user_id, team_id from workspace.bot_files
      where bot_id = ${botId}`;
    expect(owned).toHaveLength(4);
    expect(owned.every((r) => r.owner_user_id === owner.userId && r.team_id === null)).toBe(true);
  });

  it('COMPRESS a folder and a list, EXTRACT into a folder', async () => {
    const { botId, said } = await runBot(`WRITE "src/a.txt", "alpha"
WRITE "src/deep/b.txt", "beta"
whole = COMPRESS "src", "out/src.zip"
some = COMPRESS ["src/a.txt"], "out/some.zip"
got = EXTRACT "out/src.zip", "unpacked"
TALK whole & "|" & some & "|" & JOIN(got, ",")`);
    expect(said).toEqual(['out/src.zip|out/some.zip|unpacked/a.txt,unpacked/deep/b.txt']);
    const files = await filesOf(botId);
    const entries = extractZip(files.get('out/src.zip')!, '');
    expect(entries.map((e) => [e.path, Buffer.from(e.bytes).toString('utf8')])).toEqual([
      ['a.txt', 'alpha'],
      ['deep/b.txt', 'beta'],
    ]);
    expect(extractZip(files.get('out/some.zip')!, '').map((e) => e.path)).toEqual(['src/a.txt']);
    expect(text(files, 'unpacked/deep/b.txt')).toBe('beta');
  });

  it('GENERATE PDF from a template and a table of rows; MERGE PDF', async () => {
    const lines = Array.from({ length: 90 }, (_, i) => `{"n": ${i}, "item": "row ${i}"}`).join(', ');
    const { botId, said } =
      await runBot(`WRITE "templates/report.html", "<h1>Report for {{customer}}</h1><pre>{{rows}}</pre><p>Total: {{total}}</p>"
one = GENERATE PDF "templates/report.html", {"customer": "ACME", "rows": [${lines}], "total": 90}, "reports/acme.pdf"
two = GENERATE PDF "templates/report.html", {"customer": "Bolt", "rows": [], "total": 0}, "reports/bolt.pdf"
both = MERGE PDF ["reports/acme.pdf", "reports/bolt.pdf"], "reports/all.pdf"
TALK one.pages & "|" & two.pages & "|" & both.pages & "|" & both.path`);
    expect(said).toEqual(['2|1|3|reports/all.pdf']);
    const files = await filesOf(botId);
    expect(await pageCount(files.get('reports/acme.pdf')!)).toBe(2);
    expect(await pageCount(files.get('reports/all.pdf')!)).toBe(3);
    expect(files.get('reports/all.pdf')!.subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('DOWNLOAD and UPLOAD through the outbound guard; RUN JAVASCRIPT WITH FILE', async () => {
    const { botId, said } = await runBot(`path = DOWNLOAD "${base}/prices.csv", "in/prices.csv"
answer = UPLOAD "in/prices.csv", "${base}/upload"
WRITE "code/sum.js", "input.a + input.b"
sum = RUN JAVASCRIPT WITH FILE "code/sum.js", {"a": 2, "b": 3}
TALK path & "|" & answer.stored & "|" & answer.bytes & "|" & sum`);
    expect(said[0]).toMatch(/^in\/prices\.csv\|true\|\d+\|5$/);
    expect(text(await filesOf(botId), 'in/prices.csv')).toBe('sku,price\npen,1.5\ncup,4\n');
    const upload = uploads.at(-1)!;
    expect(upload.contentType).toMatch(/^multipart\/form-data; boundary=/);
    expect(upload.body).toContain('Content-Disposition: form-data; name="file"; filename="prices.csv"');
    expect(upload.body).toContain('sku,price\npen,1.5\ncup,4\n');
  });

  it('refused with a clear error and nothing written: "../" and absolute paths, a zip of 100,000 entries', async () => {
    const literal = await conversation.app.inject({
      method: 'POST',
      url: '/v1/bots',
      headers: owner.headers,
      payload: { name: 'x', script: 'WRITE "a.txt"' },
    });
    expect(literal.statusCode).toBe(422);

    const leaving = await runBot('WRITE "../../etc/passwd", "x"\nTALK "not reached"');
    expect(leaving.said).toEqual([expect.stringMatching(/WRITE failed: .*has a "\.\." segment/)]);
    const absolute = await runBot('x = READ "/etc/passwd"\nTALK x');
    expect(absolute.said).toEqual([expect.stringMatching(/READ failed: .*is an absolute path/)]);
    const computed = await runBot('dir = ".."\nCOPY "a.txt", dir + "/b.txt"');
    expect(computed.said[0]).toMatch(/COPY failed: .*has a "\.\." segment/);

    const bomb = await runBot(`DOWNLOAD "${base}/bomb.zip", "in/bomb.zip"
files = EXTRACT "in/bomb.zip", "out"
TALK "not reached"`);
    expect(bomb.said).toEqual([
      expect.stringMatching(
        /EXTRACT failed: the archive has \d+ entries, more than the 1000 allowed; nothing was extracted/,
      ),
    ]);
    for (const botId of [leaving.botId, absolute.botId, computed.botId])
      expect([...(await filesOf(botId)).keys()]).toEqual([]);
    expect([...(await filesOf(bomb.botId)).keys()]).toEqual(['in/bomb.zip']);
  });
});

describe("a bot's WEBHOOK script", () => {
  it('keeps what it was sent as a bot file, as the bot owner', async () => {
    const bot = await call('POST', '/v1/bots', { name: 'Inbox', script: null });
    await call('PUT', `/v1/bots/${bot.id}/tools/inbox`, {
      script: 'WEBHOOK "inbox"\nsaved = WRITE "inbox/" + body.id + ".json", body\nRETURN {"saved": saved}',
    });
    const res = await conversation.app.inject({
      method: 'POST',
      url: `/v1/public/bots/${bot.id}/webhooks/inbox`,
      payload: { id: 'A-1', items: [1, 2] },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ saved: 'inbox/A-1.json' });
    expect(JSON.parse(text(await filesOf(bot.id), 'inbox/A-1.json')!)).toEqual({ id: 'A-1', items: [1, 2] });
  });
});

describe("a bot's files through the workspace API", () => {
  it("its owner lists and downloads them; anyone else gets the bot's 404; a path that is not one is a 400", async () => {
    const { botId } = await runBot(`WRITE "reports/may.csv", [{"region": "north", "total": 1200}]
WRITE "notes.txt", "hi"`);
    const asOwner = await workspace.tokens.mint({ userId: owner.userId, orgId });
    const stranger = await workspace.tokens.mint({ orgId });
    const get = (url: string, headers: Record<string, string>) =>
      workspace.app.inject({ method: 'GET', url, headers });

    const all = await get(`/v1/bots/${botId}/files`, asOwner.headers);
    expect(all.statusCode, all.body).toBe(200);
    expect(all.json().items.map((f: { path: string }) => f.path)).toEqual(['notes.txt', 'reports/may.csv']);
    const folder = await get(`/v1/bots/${botId}/files?folder=reports&limit=1`, asOwner.headers);
    expect(folder.json()).toMatchObject({
      items: [{ path: 'reports/may.csv', name: 'may.csv' }],
      nextCursor: null,
    });
    const content = await get(`/v1/bots/${botId}/files/content?path=reports%2Fmay.csv`, asOwner.headers);
    expect(content.statusCode).toBe(200);
    expect(content.body).toBe('region,total\r\nnorth,1200\n');
    expect(content.headers['content-disposition']).toMatch(/^attachment/);
    expect(content.headers['x-content-type-options']).toBe('nosniff');

    for (const url of [`/v1/bots/${botId}/files`, `/v1/bots/${botId}/files/content?path=notes.txt`]) {
      const res = await get(url, stranger.headers);
      expect(res.statusCode, url).toBe(404);
      expect(res.json().detail).toBe('No such bot.');
    }
    const missing = await get(`/v1/bots/${botId}/files/content?path=nope.txt`, asOwner.headers);
    expect(missing.statusCode).toBe(404);
    const leaving = await get(`/v1/bots/${botId}/files/content?path=..%2F..%2Fetc%2Fpasswd`, asOwner.headers);
    expect(leaving.statusCode).toBe(400);
    expect(leaving.json().detail).toMatch(/has a "\.\." segment/);
    expect((await get(`/v1/bots/${botId}/files`, {})).statusCode).toBe(401);
  });
});

describe("a team bot's files", () => {
  it("are the team's, whoever talks to the bot: its members read them, a user of the organization and a stranger do not", async () => {
    const teamId = crypto.randomUUID();
    const teamOwner = await conversation.tokens.mint({
      orgId,
      teams: { [teamId]: 'owner' },
      perms: ['bots.read', 'bots.write'],
    });
    const created = await conversation.app.inject({
      method: 'POST',
      url: '/v1/bots',
      headers: teamOwner.headers,
      payload: {
        name: 'Team notes',
        teamId,
        visibility: 'organization',
        script:
          'n = LEN(LIST "visits")\nWRITE "visits/" + (n + 1) + ".txt", "visit " + (n + 1)\nTALK "visit " + (n + 1)',
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const botId = created.json().id as string;
    // A user of the organization talks to the bot: the file is still the team's.
    const orgUser = await conversation.tokens.mint({ orgId, perms: ['bots.read'] });
    const visit = await conversation.app.inject({
      method: 'POST',
      url: `/v1/bots/${botId}/sessions`,
      headers: orgUser.headers,
      payload: {},
    });
    expect(visit.statusCode, visit.body).toBe(201);
    expect(visit.json().messages.map((m: { content: string }) => m.content)).toEqual(['visit 1']);
    const [row] =
      await workspace.admin`select owner_user_id, team_id from workspace.bot_files where bot_id = ${botId}`;
    expect(row).toEqual({ owner_user_id: teamOwner.userId, team_id: teamId });

    const list = async (claims: Parameters<WorkspaceHarness['tokens']['mint']>[0]) =>
      (
        await workspace.app.inject({
          method: 'GET',
          url: `/v1/bots/${botId}/files`,
          headers: (await workspace.tokens.mint(claims)).headers,
        })
      ).statusCode;
    expect(await list({ orgId, teams: { [teamId]: 'viewer' } })).toBe(200);
    expect(await list({ orgId, teams: { [teamId]: 'member' } })).toBe(200);
    expect(await list({ userId: orgUser.userId, orgId })).toBe(404);
    expect(await list({ orgId: crypto.randomUUID() })).toBe(404);
  });
});

describe('examples/basic/sales-report-pdf.bas, unchanged', () => {
  it("turns the bot's sales table into a CSV file and a PDF and asks for the PDF to be mailed", async () => {
    const script = await readFile(
      new URL('../../examples/basic/sales-report-pdf.bas', import.meta.url),
      'utf8',
    );
    const bot = await call('POST', '/v1/bots', { name: 'Sales reports', script });
    await call('PUT', `/v1/bots/${bot.id}/config`, {
      items: [{ key: 'param-reportTo', value: 'team@example.org' }],
    });
    const empty = await call('POST', `/v1/bots/${bot.id}/sessions`, {});
    expect(empty.messages.map((m: { content: string }) => m.content)).toEqual([
      'No paid sales to report yet.',
    ]);

    const csv = [
      'id,customer,region,total,status',
      '1,Ana,north,1200,paid',
      '2,Rui,north,300.5,paid',
      '3,Eva,south,80,paid',
      '4,Zoe,south,999,refunded',
    ].join('\n');
    const imported = await conversation.app.inject({
      method: 'POST',
      url: `/v1/bots/${bot.id}/tables/sales/csv?key=id`,
      headers: { ...owner.headers, 'content-type': 'text/csv' },
      payload: csv,
    });
    expect(imported.statusCode, imported.body).toBe(200);

    const reply = await call('POST', `/v1/bots/${bot.id}/sessions`, {});
    const day = new Date().toISOString().slice(0, 10);
    expect(reply.messages.map((m: { content: string }) => m.content)).toEqual([
      `**Report ready:** reports/sales-${day}.pdf (1 pages) and reports/sales-${day}.csv, mailed to team@example.org.`,
    ]);
    const files = await filesOf(bot.id);
    expect(text(files, `reports/sales-${day}.csv`)).toBe(
      'id,customer,region,total\r\n1,Ana,north,1200\r\n2,Rui,north,300.5\r\n3,Eva,south,80\n',
    );
    expect(await pageCount(files.get(`reports/sales-${day}.pdf`)!)).toBe(1);
    expect(text(files, 'templates/sales-report.html')).toContain('{{rows}}');
    const [mail] = await conversation.admin<
      { payload: { data: { to: string[]; subject: string; body: string } } }[]
    >`
      select payload from conversation.outbox where subject = 'conversation.mail.requested'
        and payload -> 'data' ->> 'botId' = ${bot.id}`;
    expect(mail!.payload.data).toMatchObject({
      to: ['team@example.org'],
      subject: `Paid sales report ${day}`,
      body: `The paid sales report of ${day} (3 sales, 1,580.50) is attached, and in the bot's files: reports/sales-${day}.pdf (1 pages) and reports/sales-${day}.csv.`,
      // The PDF by its path and the bot's owner; its bytes are the email service's to read.
      attachments: { ownerUserId: owner.userId, teamId: null, paths: [`reports/sales-${day}.pdf`] },
    });
  });
});
