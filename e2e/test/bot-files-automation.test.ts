import { extractZip, pageCount } from '@conduit/bot-files';
import { transferBucketName } from '@conduit/bus';
import {
  type ConversationHarness,
  startConversationHarness,
} from '@conduit/conversation/test/fixtures/conversation-harness.js';
import {
  bearer,
  startWorkflowHarness,
  type WorkflowHarness,
} from '@conduit/workflow-engine/test/fixtures/workflow-harness.js';
import {
  startWorkspaceHarness,
  type WorkspaceHarness,
} from '@conduit/workspace/test/fixtures/workspace-harness.js';
import { afterAll, beforeAll, expect, it } from 'vitest';

// The bot file keywords (issue #19, family 4) in a bot's automation: the workflow engine runs the
// script as the bot's owner with the same host code as a dialog (@conduit/bot-files), and the real
// workspace service keeps the files; checked by what the run wrote and what is stored.

let wf: WorkflowHarness;
let conversation: ConversationHarness;
let workspace: WorkspaceHarness;

beforeAll(async () => {
  wf = await startWorkflowHarness();
  const namespace = wf.childEnv.BUS_NAMESPACE!;
  conversation = await startConversationHarness({ namespace, usage: false });
  workspace = await startWorkspaceHarness({ namespace, usage: false });
}, 120_000);
afterAll(async () => {
  await wf?.bus.jsm.streams.delete(`OBJ_${transferBucketName(wf.bus)}`).catch(() => {});
  await workspace?.close();
  await conversation?.close();
  await wf?.close();
}, 30_000);

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

it("an automation writes, zips, extracts, lists and turns the bot's files into PDFs", async () => {
  const { token, userId } = await wf.tokens.mint({});
  const inConversation = await conversation.tokens.mint({ userId, perms: ['bots.read', 'bots.write'] });
  const created = await conversation.app.inject({
    method: 'POST',
    url: '/v1/bots',
    headers: inConversation.headers,
    payload: {
      name: 'Archivist',
      script: `SET SCHEDULE "every day at 6am"
WRITE "daily/summary.txt", "Orders: 3"
WRITE "daily/orders.csv", [{"id": 1, "total": 9.5}, {"id": 2, "total": 20}]
WRITE "templates/day.html", "<h1>Daily report</h1><pre>{{orders}}</pre>"
pdf = GENERATE PDF "templates/day.html", {"orders": [{"id": 1, "total": 9.5}, {"id": 2, "total": 20}]}, "daily/report.pdf"
both = MERGE PDF ["daily/report.pdf", "daily/report.pdf"], "daily/twice.pdf"
zip = COMPRESS "daily", "archive/daily.zip"
got = EXTRACT "archive/daily.zip", "restored"
DELETE FILE "daily/summary.txt"
TALK READ "restored/summary.txt"
TALK pdf.pages & "|" & both.pages & "|" & LEN(got) & "|" & LEN(LIST "daily")`,
    },
  });
  expect(created.statusCode, created.body).toBe(201);
  const botId = created.json().id as string;
  const auth = bearer(token);
  const [automation] = await until('the automation', async () => {
    const list = (
      await wf.app.inject({ method: 'GET', url: `/v1/bots/${botId}/automations`, headers: auth })
    ).json().items as { id: string }[];
    return list?.length ? list : undefined;
  });
  const asked = await wf.app.inject({
    method: 'POST',
    url: `/v1/bots/${botId}/automations/${automation!.id}/run`,
    headers: auth,
  });
  expect(asked.statusCode, asked.body).toBe(202);
  const { runId } = asked.json() as { runId: string };
  const run = await until(
    'the run',
    async () => {
      const runs = (
        await wf.app.inject({
          method: 'GET',
          url: `/v1/bots/${botId}/automations/${automation!.id}/runs`,
          headers: auth,
        })
      ).json().items as { id: string; status: string; output: string[]; error: string | null }[];
      return runs.find((r) => r.id === runId && r.status !== 'running');
    },
    60_000,
  );
  expect(run, JSON.stringify(run)).toMatchObject({
    status: 'success',
    output: ['Orders: 3', '1|2|4|3'],
    error: null,
  });

  const rows = await workspace.admin<{ path: string; storage_key: string; owner_user_id: string }[]>`
    select path, storage_key, owner_user_id from workspace.bot_files where bot_id = ${botId} order by path`;
  expect(rows.map((r) => r.path)).toEqual([
    'archive/daily.zip',
    'daily/orders.csv',
    'daily/report.pdf',
    'daily/twice.pdf',
    'restored/orders.csv',
    'restored/report.pdf',
    'restored/summary.txt',
    'restored/twice.pdf',
    'templates/day.html',
  ]);
  expect(rows.every((r) => r.owner_user_id === userId)).toBe(true);
  const bytesOf = async (path: string) => {
    const chunks: Buffer[] = [];
    const key = rows.find((r) => r.path === path)!.storage_key;
    for await (const chunk of await workspace.deps.store.get(key)) chunks.push(Buffer.from(chunk));
    return Buffer.concat(chunks);
  };
  expect(extractZip(await bytesOf('archive/daily.zip'), '').map((e) => e.path)).toEqual([
    'orders.csv',
    'report.pdf',
    'summary.txt',
    'twice.pdf',
  ]);
  expect(await pageCount(await bytesOf('daily/twice.pdf'))).toBe(2);
  expect((await bytesOf('restored/orders.csv')).toString('utf8')).toBe('id,total\r\n1,9.5\r\n2,20\n');
});
