import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConversationHarness, startConversationHarness } from '../fixtures/conversation-harness.js';

// Messages that race for one session: a suspended dialog resumes once, whatever arrives at the
// same time; the losers are refused before anything runs, is reserved or is stored.

let h: ConversationHarness;

beforeAll(async () => {
  h = await startConversationHarness();
});
afterAll(async () => {
  await h?.close();
});

// Each resume leaves a mark of its own (a bot memory named after the answer), then dawdles.
const SLOW_DIALOG = `
TALK "Ready?"
HEAR answer
SET BOT MEMORY "seen-" & answer, 1
WAIT 1
TALK "Got " & answer
HEAR more
`;

describe('concurrent messages to one session', () => {
  it('resume a suspended dialog exactly once', async () => {
    const user = await h.tokens.mint();
    const bot = await h.app.inject({
      method: 'POST',
      url: '/v1/bots',
      headers: user.headers,
      payload: { name: 'Slow', script: SLOW_DIALOG },
    });
    const started = await h.app.inject({
      method: 'POST',
      url: `/v1/bots/${bot.json().id}/sessions`,
      headers: user.headers,
      payload: {},
    });
    const sessionId = started.json().session.id as string;
    const reservationsBefore = h.usage.calls.filter((c) => c.subject.id === user.userId).length;

    const answers = ['a1', 'a2', 'a3', 'a4'];
    const replies = await Promise.all(
      answers.map((text) =>
        h.app.inject({
          method: 'POST',
          url: `/v1/sessions/${sessionId}/messages`,
          headers: user.headers,
          payload: { text },
        }),
      ),
    );
    const statuses = replies.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([201, 409, 409, 409]);
    const winner = replies.find((r) => r.statusCode === 201)!.json();
    expect(winner.messages.map((m: { content: string }) => m.content)).toEqual([
      expect.stringMatching(/^a\d$/),
      `Got ${winner.messages[0].content}`,
    ]);
    expect(replies.find((r) => r.statusCode === 409)!.json().code).toBe('conflict');

    const marks =
      await h.admin`select key from conversation.bot_memories where bot_id = ${bot.json().id} and key like 'seen-%'`;
    expect(marks.map((m) => m.key)).toEqual([`seen-${winner.messages[0].content}`]);
    const stored =
      await h.admin`select count(*)::int as n from conversation.message_history where session_id = ${sessionId} and sender = 'user'`;
    expect(stored[0]!.n).toBe(1);
    // One message reserved, for the one reply given.
    expect(h.usage.calls.filter((c) => c.subject.id === user.userId).length - reservationsBefore).toBe(1);

    // The session is free again once the reply is stored.
    const next = await h.app.inject({
      method: 'POST',
      url: `/v1/sessions/${sessionId}/messages`,
      headers: user.headers,
      payload: { text: 'more' },
    });
    expect(next.statusCode, next.body).toBe(201);
  });
});
