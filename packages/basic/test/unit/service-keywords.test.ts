import { describe, expect, it } from 'vitest';
import { compile, run } from '../../src/index.js';
import { expectDone, recordingHost, runScript } from '../recording-host.js';

// The HTTP verbs, mail and task keywords and sandboxed code of issue #19 (families 5, 6 and 10):
// how they parse and what reaches the host. Their effects are tested through the services.

const errorsOf = (source: string, options = {}) => {
  const compiled = compile(source, options);
  if (compiled.ok) throw new Error(`expected compile errors for ${JSON.stringify(source)}`);
  return compiled.errors.map((e) => e.message);
};

describe('HTTP keywords', () => {
  it('PUT, PATCH, DELETE HTTP, GRAPHQL and SOAP answer values; SET HEADER and CLEAR HEADERS are statements', async () => {
    const r = await runScript(`SET HEADER "X-Api-Key", "k1"
a = PUT "https://x.io/items/1", {"name": "Ana"}
b = PATCH "https://x.io/items/1", {"name": "Eva"}
c = DELETE HTTP "https://x.io/items/1"
d = GRAPHQL "https://x.io/graphql", "query { me { id } }"
e = GRAPHQL "https://x.io/graphql", "query($id: ID!) { user(id: $id) { name } }", {"id": 7}
f = SOAP "https://x.io/svc?wsdl", "GetPrice", {"item": "pen"}
CLEAR HEADERS
PUT "https://x.io/log", "done"
TALK a.put.name & " " & b.patched.name & " " & f.operation`);
    expectDone(r.result);
    expect(r.talks).toEqual(['Ana Eva GetPrice']);
    expect(r.calls.map((c) => [c.method, ...c.args])).toEqual([
      ['setHeader', 'X-Api-Key', 'k1'],
      ['httpPut', 'https://x.io/items/1', { name: 'Ana' }],
      ['httpPatch', 'https://x.io/items/1', { name: 'Eva' }],
      ['httpDelete', 'https://x.io/items/1'],
      ['graphql', 'https://x.io/graphql', 'query { me { id } }', null],
      ['graphql', 'https://x.io/graphql', 'query($id: ID!) { user(id: $id) { name } }', { id: 7 }],
      ['soap', 'https://x.io/svc?wsdl', 'GetPrice', { item: 'pen' }],
      ['clearHeaders'],
      ['httpPut', 'https://x.io/log', 'done'],
    ]);
  });

  it('put, patch, soap and graphql stay usable as variable names', async () => {
    const r = await runScript('put = 1\npatch = put + 1\nsoap = [patch]\ngraphql = soap[0]\nTALK graphql');
    expectDone(r.result);
    expect(r.talks).toEqual(['2']);
  });

  it('a keyword with the wrong arguments says what it needs', () => {
    expect(errorsOf('PUT "https://x.io"')).toEqual(['PUT needs: url, data']);
    expect(errorsOf('DELETE HTTP')).toEqual(['DELETE HTTP needs: url']);
    expect(errorsOf('SET HEADER "a"')).toEqual(['SET HEADER needs: "name", "value"']);
    expect(errorsOf('x = GRAPHQL "u"')).toEqual(['GRAPHQL needs: url, "query" and optionally the variables']);
  });
});

describe('mail and tasks', () => {
  it('CREATE DRAFT answers the draft id, ADD MEMBER the invite', async () => {
    const r = await runScript(`id = CREATE DRAFT "ana@acme.io", "Your quote", "Hello Ana"
ADD MEMBER "eva@acme.io", "sales"
TALK id`);
    expectDone(r.result);
    expect(r.talks).toEqual(['draft-1']);
    expect(r.calls.map((c) => [c.method, ...c.args])).toEqual([
      ['createDraft', 'ana@acme.io', 'Your quote', 'Hello Ana'],
      ['addMember', 'eva@acme.io', 'sales'],
    ]);
  });
});

describe('sandboxed code', () => {
  it('RUN JAVASCRIPT passes the code and its input; no input is Nothing', async () => {
    const r = await runScript(`x = RUN JAVASCRIPT "input.a + 1", {"a": 41}
RUN JAVASCRIPT "1"
TALK x`);
    expectDone(r.result);
    expect(r.talks).toEqual(['42']);
    expect(r.calls.map((c) => [c.method, ...c.args])).toEqual([
      ['runJavaScript', 'input.a + 1', { a: 41 }],
      ['runJavaScript', '1', null],
    ]);
  });

  it('RUN PYTHON and RUN BASH compile only where the server offers a runner, else say why', async () => {
    const script = 'a = RUN PYTHON "print(1)"\nb = RUN BASH "echo 2", [1]\nTALK a & b';
    expect(errorsOf(script)).toEqual([
      'RUN PYTHON is not available on this server: it needs a sandbox runner, which the operator enables with SANDBOX_RUNNER=bubblewrap',
      'RUN BASH is not available on this server: it needs a sandbox runner, which the operator enables with SANDBOX_RUNNER=bubblewrap',
    ]);
    expect(
      errorsOf(script, {
        commandRunners: { python: true, bash: 'RUN BASH is unavailable: /usr/bin/bwrap not found' },
      }),
    ).toEqual(['RUN BASH is unavailable: /usr/bin/bwrap not found']);
    const options = { commandRunners: { python: true, bash: true } } as const;
    const compiled = compile(script, options);
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
    const r = recordingHost();
    expectDone(await run(compiled.program, { host: r.host }));
    expect(r.talks).toEqual(['python outputbash output']);
    expect(r.calls.map((c) => [c.method, ...c.args])).toEqual([
      ['runPython', 'print(1)', null],
      ['runBash', 'echo 2', [1]],
    ]);
  });
});
