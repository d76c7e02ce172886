import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConversationHarness, startConversationHarness } from '../fixtures/conversation-harness.js';

// RUN PYTHON and RUN BASH (issue #19, family 10) where the operator enabled the bubblewrap runner
// (SANDBOX_RUNNER=bubblewrap): the output reaches the script; code that loops, allocates without
// bound, reads /etc/passwd, opens a socket or forks without end is stopped with a message that says
// why, and the service goes on answering.

let h: ConversationHarness;
let user: Awaited<ReturnType<ConversationHarness['tokens']['mint']>>;

beforeAll(async () => {
  h = await startConversationHarness({
    env: {
      SANDBOX_RUNNER: 'bubblewrap',
      SANDBOX_SCRIPT_TIMEOUT_MS: '3000',
      SANDBOX_SCRIPT_MEMORY_MB: '128',
    },
  });
  user = await h.tokens.mint({ orgId: crypto.randomUUID(), perms: ['bots.read', 'bots.write'] });
});
afterAll(async () => {
  await h?.close();
});

async function said(script: string): Promise<string[]> {
  const bot = await h.app.inject({
    method: 'POST',
    url: '/v1/bots',
    headers: user.headers,
    payload: { name: 'Runner', script },
  });
  expect(bot.statusCode).toBe(201);
  const session = await h.app.inject({
    method: 'POST',
    url: `/v1/bots/${bot.json().id}/sessions`,
    headers: user.headers,
    payload: {},
  });
  expect(session.statusCode).toBe(201);
  return (session.json().messages as { sender: string; content: string }[])
    .filter((m) => m.sender !== 'user')
    .map((m) => m.content);
}

describe('RUN PYTHON and RUN BASH under bubblewrap', () => {
  it('answer standard output, the input arriving as JSON on standard input', async () => {
    expect(
      await said(`order = {"qty": 3, "price": 2.5}
total = RUN PYTHON "import json, sys; o = json.load(sys.stdin); print(o['qty'] * o['price'])", order
TALK "Total: " & total
TALK RUN BASH "echo hello $((6 * 7))"`),
    ).toEqual(['Total: 7.5', 'hello 42']);
  });

  it('stop a loop, unbounded memory and a fork bomb, saying why', async () => {
    const [loop] = await said('x = RUN PYTHON "while True: pass"');
    expect(loop).toMatch(/RUN PYTHON failed: the code was stopped at its time limit/);
    const [memory] = await said('x = RUN PYTHON "a = [bytearray(10**7) for _ in range(10**6)]"');
    expect(memory).toMatch(/RUN PYTHON failed: the code was stopped at its memory limit/);
    const [fork] = await said('x = RUN PYTHON "import os; [os.fork() for _ in iter(int, 1)]"');
    expect(fork).toMatch(
      /RUN PYTHON failed: the code (was stopped at its time limit|failed .*Resource temporarily unavailable)/s,
    );
    // A shell's bomb returns at once: its processes end with the sandbox, the script goes on.
    expect(await said('x = RUN BASH ":(){ :|:& };:"\nTALK "after [" & x & "]"')).toEqual(['after []']);
    expect(await said('TALK RUN BASH "echo still here"')).toEqual(['still here']);
  });

  it('see no /etc/passwd and no network', async () => {
    const [passwd] = await said('x = RUN PYTHON "print(open(\'/etc/passwd\').read())"');
    expect(passwd).toMatch(
      /RUN PYTHON failed: the code failed .*No such file or directory: '\/etc\/passwd'/s,
    );
    const [bashPasswd] = await said('x = RUN BASH "cat /etc/passwd"');
    expect(bashPasswd).toMatch(/RUN BASH failed: the code failed .*No such file or directory/s);
    const [socket] = await said(
      'x = RUN PYTHON "import socket; socket.create_connection((\'1.1.1.1\', 80), timeout=2)"',
    );
    expect(socket).toMatch(/RUN PYTHON failed: the code failed .*(unreachable|OSError)/s);
    for (const answer of [passwd, bashPasswd, socket]) expect(answer).not.toMatch(/root:x:0/);
  });
});
