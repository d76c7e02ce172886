import { describe, expect, it } from 'vitest';
import { compile } from '../../src/index.js';
import { expectDone, mustCompile, runScript } from '../recording-host.js';

// Issue #19, families 7 (events), 8 (multi-agent) and 9 (AI helpers): what the engine compiles
// and which host calls it makes. Their effects are tested through the conversation service.

const errorsOf = (source: string) => {
  const r = compile(source);
  return r.ok ? [] : r.errors.map((e) => e.message);
};

describe('events', () => {
  it('ON ... OF "table" and ON "table" are declarations of the program, merged per table', async () => {
    const program = mustCompile(`ON INSERT OF "Orders.csv"
on update, delete of "orders"
ON "leads"
TALK "ran"`);
    expect(program.tableTriggers).toEqual([
      { table: 'orders', events: ['insert', 'update', 'delete'] },
      { table: 'leads', events: ['insert', 'update', 'delete'] },
    ]);
    expect(program.webhook).toBeNull();
    // The declaration does nothing when the script runs; a variable named on still works.
    const r = await runScript(`ON CHANGE OF "orders"
on = 2
TALK on`);
    expectDone(r.result);
    expect(r.talks).toEqual(['2']);
    expect(r.program.tableTriggers).toEqual([{ table: 'orders', events: ['insert', 'update', 'delete'] }]);
  });

  it('WEBHOOK "name" names the public endpoint; bad names and tables do not compile', () => {
    expect(mustCompile('WEBHOOK "Order-Received"\nTALK body.id').webhook).toBe('order-received');
    expect(errorsOf('WEBHOOK "../admin"')[0]).toContain('is not a webhook name');
    expect(errorsOf('WEBHOOK "a"\nWEBHOOK "b"')[0]).toContain('WEBHOOK appears twice');
    expect(errorsOf('ON INSERT OF "x; drop table y"')[0]).toContain('is not a table name');
    expect(errorsOf('ON SOMETHING OF "orders"')[0]).toContain('ON needs');
    expect(errorsOf('SUB s\nON "orders"\nEND SUB')[0]).toContain('ON belongs in the main program');
    expect(errorsOf('t = "orders"\nON INSERT OF t')[0]).toContain('Expected text in quotes');
  });
});

describe('multi-agent', () => {
  it('ADD BOT, DELEGATE, TRANSFER CONVERSATION and BROADCAST reach the host, as statements and values', async () => {
    const r = await runScript(`ADD BOT "sales" WITH TRIGGER "price, quote"
ADD BOT "support" TRIGGER ON "help"
answer = DELEGATE "What costs X?" TO BOT "sales" TIMEOUT 20
DELEGATE "log this" TO BOT "support"
all = BROADCAST "hello" TO BOTS
TALK answer & " / " & all[0].bot
TRANSFER CONVERSATION TO "support"`);
    expectDone(r.result);
    expect(r.calls.map((c) => [c.method, ...c.args])).toEqual([
      ['addBot', 'sales', 'price, quote'],
      ['addBot', 'support', 'help'],
      ['delegateToBot', 'What costs X?', 'sales'],
      ['delegateToBot', 'log this', 'support'],
      ['broadcastToBots', 'hello'],
      ['transferConversation', 'support'],
    ]);
    expect(r.talks).toEqual(['sales says: What costs X? / sales']);
  });

  it("TRANSFER CONVERSATION ends the script: the conversation is the other bot's", async () => {
    const r = await runScript('TALK "Passing you on"\nTRANSFER CONVERSATION TO "support"\nTALK "never said"');
    expectDone(r.result);
    expect(r.talks).toEqual(['Passing you on']);
  });

  it('says what is missing', () => {
    expect(errorsOf('ADD BOT "sales"')[0]).toContain('ADD BOT needs');
    expect(errorsOf('DELEGATE "x" TO "sales"')[0]).toContain('Expected BOT');
    expect(errorsOf('BROADCAST "x" TO BOT')[0]).toContain('Expected BOTS');
    expect(errorsOf('TRANSFER CONVERSATION TO')[0]).toContain('needs the name of a bot');
  });
});

describe('AI helpers', () => {
  it('SAVE FROM UNSTRUCTURED passes the schema as data; USE WEBSITE the address', async () => {
    const r = await runScript(`schema = {"type": "object", "properties": {"name": {"type": "string"}}}
lead = SAVE FROM UNSTRUCTURED "I am Ana", schema
SAVE FROM UNSTRUCTURED "again", schema
USE WEBSITE "https://example.com/docs"
TALK lead.text`);
    expectDone(r.result);
    const schema = { type: 'object', properties: { name: { type: 'string' } } };
    expect(r.calls.map((c) => [c.method, ...c.args])).toEqual([
      ['saveFromUnstructured', 'I am Ana', schema],
      ['saveFromUnstructured', 'again', schema],
      ['useWebsite', 'https://example.com/docs'],
    ]);
    expect(r.talks).toEqual(['I am Ana']);
    expect(errorsOf('x = SAVE FROM UNSTRUCTURED "text"')[0]).toContain('SAVE FROM UNSTRUCTURED needs');
  });
});

describe('conduit-basic check', () => {
  it('names what an example script declares: its ON table events and its WEBHOOK', async () => {
    const { PassThrough } = await import('node:stream');
    const { fileURLToPath } = await import('node:url');
    const { runCli } = await import('../../src/cli-commands.js');
    const check = async (file: string) => {
      const stdout = new PassThrough();
      let text = '';
      stdout.on('data', (chunk) => {
        text += chunk;
      });
      const code = await runCli(['check', file], {
        stdin: new PassThrough(),
        stdout,
        stderr: new PassThrough(),
        cwd: fileURLToPath(new URL('../../../../examples/basic/', import.meta.url)),
      });
      return { code, text };
    };
    expect(await check('order-kitchen.bas')).toEqual({
      code: 0,
      text: 'order-kitchen.bas: OK\non: insert of table orders\n',
    });
    expect(await check('order-webhook.bas')).toEqual({
      code: 0,
      text: 'order-webhook.bas: OK\nwebhook: new-order\n',
    });
  });
});
