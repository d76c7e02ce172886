import { describe, expect, it } from 'vitest';
import { HostUnavailableError, run } from '../../src/index.js';
import { expectDone, expectError, mustCompile, recordingHost, runScript } from '../recording-host.js';

describe('platform keywords go through the host', () => {
  it('TALK sends text, PRINT logs', async () => {
    const r = await runScript('TALK "Hello", 42\nPRINT "debug", 1, TRUE');
    expectDone(r.result);
    expect(r.talks).toEqual(['Hello 42']);
    expect(r.prints).toEqual(['debug 1 true']);
  });

  it('SET / GET BOT MEMORY and USER MEMORY store values, including JSON data', async () => {
    const r = await runScript(`SET BOT MEMORY "visits", 3
SET USER MEMORY "profile", {"name": "Ana", "tags": ["vip"]}
v = GET BOT MEMORY "visits"
p = GET USER MEMORY "profile"
missing = GET BOT MEMORY "nothing-here"
TALK v + 1 & " " & p.name & " " & p.tags[0] & " " & ISEMPTY(missing)`);
    expectDone(r.result);
    expect(r.talks).toEqual(['4 Ana vip true']);
    expect(r.botMemory.get('visits')).toBe(3);
    expect(r.userMemory.get('profile')).toEqual({ name: 'Ana', tags: ['vip'] });
  });

  it('USE KB / CLEAR KB / FIND / USE TOOL / CLEAR TOOLS / SET CONTEXT / LLM / SEND MAIL / GET / POST', async () => {
    const r = await runScript(`USE KB "policies"
hits = FIND "refund"
CLEAR KB "policies"
CLEAR KB
USE TOOL "create-ticket"
CLEAR TOOLS
SET CONTEXT "You are a helpful assistant for ${'ACME'}"
answer = LLM "Summarize: " & hits[0].text
SEND MAIL "ana@example.com", "Summary", answer
SEND MAIL "ana@example.com", "Report", "Attached.", "reports/may.pdf"
SEND MAIL "ana@example.com", "Both", "Attached.", ["reports/may.pdf", "reports/may.csv"]
data = GET "https://api.example.com/items"
POST "https://api.example.com/log", {"count": LEN(data.items)}
created = POST "https://api.example.com/items", data.items
RETURN created.status`);
    expect(expectDone(r.result).value).toBe(201);
    expect(r.calls).toEqual([
      { method: 'useKb', args: ['policies'] },
      { method: 'find', args: ['refund'] },
      { method: 'clearKb', args: ['policies'] },
      { method: 'clearKb', args: [null] },
      { method: 'useTool', args: ['create-ticket'] },
      { method: 'clearTools', args: [] },
      { method: 'setContext', args: ['You are a helpful assistant for ACME'] },
      { method: 'llm', args: ['Summarize: About refund'] },
      {
        method: 'sendMail',
        args: ['ana@example.com', 'Summary', 'LLM says: Summarize: About refund', null],
      },
      { method: 'sendMail', args: ['ana@example.com', 'Report', 'Attached.', 'reports/may.pdf'] },
      {
        method: 'sendMail',
        args: ['ana@example.com', 'Both', 'Attached.', ['reports/may.pdf', 'reports/may.csv']],
      },
      { method: 'httpGet', args: ['https://api.example.com/items'] },
      { method: 'httpPost', args: ['https://api.example.com/log', { count: 3 }] },
      { method: 'httpPost', args: ['https://api.example.com/items', [1, 2, 3]] },
    ]);
  });

  it('runs host calls inside expressions in order, including inside FUNCTIONs and conditions', async () => {
    const r = await runScript(`FUNCTION Ask(q)
  Ask = LLM q
END FUNCTION
IF LEN(Ask("a")) > 0 AND LEN(LLM "b") > 0 THEN TALK Ask("c") & "|" & LLM "d"`);
    expectDone(r.result);
    expect(r.calls.map((c) => c.args[0])).toEqual(['a', 'b', 'c', 'd']);
    expect(r.talks).toEqual(['LLM says: c|LLM says: d']);
  });

  it('copies host results into plain data: no functions, prototypes or undefined reach the script', async () => {
    class Secret {
      hidden = 'x';
      reveal() {
        return 'leak';
      }
    }
    const recorder = recordingHost({
      httpGet: async () => ({
        when: new Date('2025-01-01T00:00:00Z'),
        fn: () => 1,
        nope: undefined,
        secret: new Secret(),
        n: Number.NaN,
      }),
    });
    const program = mustCompile('d = GET "x"\nRETURN d');
    const r = await run(program, { host: recorder.host });
    const value = expectDone(r).value as Record<string, unknown>;
    expect(value).toEqual({ when: '2025-01-01T00:00:00.000Z', secret: { hidden: 'x' }, n: null });
    expect(Object.getPrototypeOf(value.secret)).toBe(Object.prototype);
  });
});

describe('host failures become script errors', () => {
  it('a host method that throws gives HOST_ERROR at the statement', async () => {
    const recorder = recordingHost({
      sendMail: async () => {
        throw new Error('SMTP down');
      },
    });
    const r = await run(mustCompile('TALK "x"\nSEND MAIL "a@b.co", "s", "b"'), { host: recorder.host });
    expect(expectError(r).error).toEqual({
      code: 'HOST_ERROR',
      line: 2,
      column: 1,
      message: 'SEND MAIL failed: SMTP down',
    });
  });

  it('a host that lacks a keyword gives HOST_UNAVAILABLE naming it', async () => {
    const r = await run(mustCompile('x = FIND "a"'), { host: { talk: async () => {} } });
    expect(expectError(r).error).toMatchObject({
      code: 'HOST_UNAVAILABLE',
      message: 'FIND is not available here: the host does not provide it',
    });
  });

  it('HostUnavailableError from a host keeps its message', async () => {
    const r = await run(mustCompile('x = LLM "a"'), {
      host: {
        llm: async () => {
          throw new HostUnavailableError('LLM is unavailable outside the Conduit cluster');
        },
      },
    });
    expect(expectError(r).error).toMatchObject({
      code: 'HOST_UNAVAILABLE',
      message: 'LLM is unavailable outside the Conduit cluster',
    });
  });

  it('a host that throws synchronously or throws a non-Error is still reported', async () => {
    const r = await run(mustCompile('x = GET "u"'), {
      host: {
        httpGet: (() => {
          throw 'boom';
        }) as never,
      },
    });
    expect(expectError(r).error).toMatchObject({ code: 'HOST_ERROR', message: 'GET failed: boom' });
  });

  it('PRINT is silently skipped when the host has no print', async () => {
    const r = await run(mustCompile('PRINT "x"\nRETURN 1'), { host: {} });
    expect(expectDone(r).value).toBe(1);
  });
});

describe('PARAM input binding', () => {
  const tool = `PARAM email AS EMAIL LIKE "ana@example.com" DESCRIPTION "Customer email"
PARAM amount AS MONEY
PARAM urgent AS BOOLEAN OPTIONAL
PARAM size AS "S", "M", "L"
RETURN [email, amount, urgent, size]`;

  it('binds and normalizes tool arguments by name, in any case', async () => {
    const r = await run(mustCompile(tool), {
      host: {},
      input: { EMAIL: 'a@b.co', amount: '12,50', size: 'm' },
    });
    expect(expectDone(r).value).toEqual(['a@b.co', 12.5, null, 'M']);
  });

  it('reports a missing required parameter', async () => {
    const r = await run(mustCompile(tool), { host: {}, input: { email: 'a@b.co' } });
    expect(expectError(r).error).toMatchObject({
      code: 'MISSING_PARAM',
      message: 'The parameter "amount" is required',
    });
  });

  it('reports an invalid parameter', async () => {
    const r = await run(mustCompile(tool), { host: {}, input: { email: 'nope', amount: 1, size: 'S' } });
    expect(expectError(r).error.code).toBe('INVALID_PARAM');
    const wrongType = await run(mustCompile('PARAM n AS INTEGER\nRETURN n'), { host: {}, input: { n: 1.5 } });
    expect(expectError(wrongType).error.message).toBe(
      'The parameter "n" must be a whole number, got the number 1.5',
    );
  });

  it('presets other variables from input and ignores unknown names', async () => {
    const r = await run(mustCompile('RETURN greeting & "!"'), {
      host: {},
      input: { Greeting: 'hi', unknown: 1 },
    });
    expect(expectDone(r).value).toBe('hi!');
  });
});
