import { randomUUID } from 'node:crypto';
import { streamNameFor } from '@conduit/bus';
import {
  type ConversationHarness,
  startConversationHarness,
} from '@conduit/conversation/test/fixtures/conversation-harness.js';
import { type GatewayHarness, startGateway } from '@conduit/gateway/test/fixtures/gateway-harness.js';
import {
  type IdentityHarness,
  registerUser,
  startIdentityHarness,
} from '@conduit/identity/test/fixtures/identity-harness.js';
import {
  type KnowledgeHarness,
  startKnowledgeHarness,
} from '@conduit/knowledge-base/test/fixtures/knowledge-harness.js';
import { countRows, httpSender, probeUnstorableInput } from '@conduit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The cluster as a client meets it: tokens from identity, a knowledge base indexed by its worker,
// a bot answering from it (the built-in offline provider), all through the gateway, on one bus.

let identity: IdentityHarness;
let knowledge: KnowledgeHarness;
let conversation: ConversationHarness;
let gateway: GatewayHarness;
const adminEmail = 'whole-system-admin@example.com';

const CP_PAGE = `# cp

## NAME
cp - copy files and directories

## DESCRIPTION
Copy SOURCE to DEST, or multiple SOURCE(s) to DIRECTORY. To copy a directory with all of its
contents, use the -r (--recursive) option: cp -r photos backup/photos copies every file and
subdirectory of photos.`;

beforeAll(async () => {
  identity = await startIdentityHarness({ env: { PLATFORM_ADMIN_EMAILS: adminEmail } });
  const identityUrl = await identity.app.listen({ port: 0, host: '127.0.0.1' });
  knowledge = await startKnowledgeHarness({
    identityTokens: true,
    // The conversation service below answers who owns each chat session.
    conversationSessions: false,
    env: { IDENTITY_URL: identityUrl, BUS_NAMESPACE: identity.namespace },
  });
  conversation = await startConversationHarness({
    namespace: identity.namespace,
    usage: false,
    identityJwks: true,
    env: { IDENTITY_URL: identityUrl },
  });
  gateway = await startGateway({
    IDENTITY_URL: identityUrl,
    KNOWLEDGE_BASE_URL: await knowledge.app.listen({ port: 0, host: '127.0.0.1' }),
    CONVERSATION_URL: await conversation.listen(),
    // The probe of every route below sends a few thousand requests from one address.
    RATE_LIMIT_MAX: '100000',
    AUTH_RATE_LIMIT_MAX: '100000',
  });
}, 90_000);

afterAll(async () => {
  await gateway?.close();
  await conversation?.close();
  await knowledge?.close();
  await identity?.bus.jsm.streams.delete(streamNameFor(identity.namespace, 'knowledge')).catch(() => {});
  await identity?.close();
});

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
async function call<T = Record<string, any>>(
  method: string,
  path: string,
  token: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${gateway.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as T };
}

describe('the whole cluster', () => {
  it('answers a question from a knowledge base attached to a chat session, for its owner only', async () => {
    const ann = await registerUser(identity);
    const collection = await call('POST', '/v1/kb/collections', ann.accessToken, { name: 'Manual pages' });
    expect(collection.status).toBe(201);
    const document = await call(
      'POST',
      `/v1/kb/collections/${collection.body.id}/documents`,
      ann.accessToken,
      { name: 'cp(1)', text: CP_PAGE },
    );
    expect(document.status).toBe(201);
    await expect
      .poll(
        async () =>
          (
            await call(
              'GET',
              `/v1/kb/collections/${collection.body.id}/documents/${document.body.id}`,
              ann.accessToken,
            )
          ).body.status,
        { timeout: 20_000 },
      )
      .toBe('indexed');

    const bot = await call('POST', '/v1/bots', ann.accessToken, { name: 'Shell helper' });
    expect(bot.status).toBe(201);
    const started = await call('POST', `/v1/bots/${bot.body.id}/sessions`, ann.accessToken, {});
    expect(started.status).toBe(201);
    const sessionId = started.body.session.id as string;
    expect(
      (await call('PUT', `/v1/kb/sessions/${sessionId}/collections/${collection.body.id}`, ann.accessToken))
        .status,
    ).toBe(201);

    const reply = await call('POST', `/v1/sessions/${sessionId}/messages`, ann.accessToken, {
      text: 'how do I copy a directory with its contents?',
    });
    expect(reply.status).toBe(201);
    const answer = JSON.stringify(reply.body);
    expect(answer).toMatch(/cp -r/);
    expect(answer).toMatch(/cp\(1\)/);

    // Someone else can neither attach Ann's collection to their session nor get her text back.
    const eve = await registerUser(identity);
    const eveBot = await call('POST', '/v1/bots', eve.accessToken, { name: 'Nosy' });
    const eveSession = (await call('POST', `/v1/bots/${eveBot.body.id}/sessions`, eve.accessToken, {})).body
      .session.id as string;
    expect(
      (await call('PUT', `/v1/kb/sessions/${eveSession}/collections/${collection.body.id}`, eve.accessToken))
        .status,
    ).toBe(404);
    const eveReply = await call('POST', `/v1/sessions/${eveSession}/messages`, eve.accessToken, {
      text: 'how do I copy a directory with its contents?',
    });
    expect(eveReply.status).toBe(201);
    expect(JSON.stringify(eveReply.body)).not.toMatch(/cp -r/);
    expect((await call('GET', `/v1/sessions/${sessionId}/messages`, eve.accessToken)).status).toBe(404);

    // The reply was paid for: identity counted one message for Ann.
    const subscription = await call('GET', '/v1/me/subscription', ann.accessToken);
    expect(
      subscription.body.usage.find((u: { metric: string }) => u.metric === 'messages').used,
    ).toBeGreaterThanOrEqual(1);
  }, 60_000);
});

describe('input Postgres cannot store', () => {
  it('is refused through the gateway in every field of every route of /docs/json, storing nothing', async () => {
    const admin = await registerUser(identity, { email: adminEmail });
    // A search the probe could not spoil (a lone surrogate in a GET's query is kept as text) is a
    // read that answers and is recorded for analytics: its event is not input stored.
    const searchesRecorded = async () =>
      (
        await knowledge.admin<{ count: number }[]>`
          select count(*)::int as count from knowledge.outbox where subject like '%knowledge.search.performed'`
      )[0]!.count;
    const stored = async () => {
      const [identityRows, knowledgeRows, conversationRows] = await Promise.all([
        countRows(identity.admin, ['identity']),
        countRows(knowledge.admin, ['knowledge']),
        countRows(conversation.admin, ['conversation']),
      ]);
      knowledgeRows['knowledge.outbox'] =
        (knowledgeRows['knowledge.outbox'] ?? 0) - (await searchesRecorded());
      return [identityRows, knowledgeRows, conversationRows];
    };
    const before = await stored();
    const document = (await (await fetch(`${gateway.url}/docs/json`)).json()) as object;
    const report = await probeUnstorableInput({
      document,
      send: httpSender(gateway.url),
      headers: { authorization: `Bearer ${admin.accessToken}` },
    });
    expect(report.failures).toEqual([]);
    expect(report.probes).toBeGreaterThan(500);
    expect(await stored()).toEqual(before);
  }, 60_000);
});

describe("a chat session's knowledge bases", () => {
  it("are its owner's alone: a stranger is answered as for an unknown session and changes nothing", async () => {
    const ann = await registerUser(identity);
    const eve = await registerUser(identity);
    const annKb = (await call('POST', '/v1/kb/collections', ann.accessToken, { name: 'Ann notes' })).body.id;
    const eveKb = (await call('POST', '/v1/kb/collections', eve.accessToken, { name: 'Eve notes' })).body.id;
    const bot = await call('POST', '/v1/bots', ann.accessToken, { name: 'Ann helper' });
    const session = (await call('POST', `/v1/bots/${bot.body.id}/sessions`, ann.accessToken, {})).body.session
      .id as string;
    const unknown = randomUUID();
    const links = async () => [
      ...(await knowledge.admin`select session_id, user_id, collection_id from knowledge.user_kb_associations
        where session_id in (${session}, ${unknown}) order by created_at`),
    ];
    const withoutRequestId = ({ requestId: _, ...problem }: Record<string, unknown>) => problem;

    /** Eve on Ann's session, then on a session nobody has: the same answer, and nothing changes. */
    const strangerMeetsNothing = async () => {
      const before = await links();
      for (const [method, path] of [
        ['PUT', (id: string) => `/v1/kb/sessions/${id}/collections/${eveKb}`],
        ['PUT', (id: string) => `/v1/kb/sessions/${id}/collections/${annKb}`],
        ['DELETE', (id: string) => `/v1/kb/sessions/${id}/collections/${annKb}`],
        ['GET', (id: string) => `/v1/kb/sessions/${id}/collections`],
        ['GET', (id: string) => `/v1/kb/sessions/${id}/search?q=notes`],
      ] as const) {
        const onAnns = await call(method, path(session), eve.accessToken);
        const onNone = await call(method, path(unknown), eve.accessToken);
        expect(onAnns.status, `${method} ${path(':id')}`).toBe(404);
        expect(onNone.status, `${method} ${path(':id')}`).toBe(404);
        expect(withoutRequestId(onAnns.body)).toEqual(withoutRequestId(onNone.body));
      }
      expect(await links()).toEqual(before);
    };

    // Before Ann links anything (the first caller used to claim the session), and after.
    await strangerMeetsNothing();
    expect(
      (await call('PUT', `/v1/kb/sessions/${session}/collections/${annKb}`, ann.accessToken)).status,
    ).toBe(201);
    await strangerMeetsNothing();

    const listed = await call('GET', `/v1/kb/sessions/${session}/collections`, ann.accessToken);
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((link: { collection: { id: string } }) => link.collection.id)).toEqual([
      annKb,
    ]);
    expect((await call('GET', `/v1/kb/sessions/${session}/search?q=notes`, ann.accessToken)).status).toBe(
      200,
    );
    expect(
      (await call('DELETE', `/v1/kb/sessions/${session}/collections/${annKb}`, ann.accessToken)).status,
    ).toBe(204);
  }, 60_000);
});
