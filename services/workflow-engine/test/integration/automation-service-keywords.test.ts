import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveConversationBots } from '../fixtures/conversation-bots.js';
import { type HttpSink, startHttpSink } from '../fixtures/http-sink.js';
import { bearer, startWorkflowHarness, type WorkflowHarness } from '../fixtures/workflow-harness.js';

// Families 5 and 10 of issue #19 in bot automations: PUT, PATCH, DELETE HTTP and GRAPHQL under a
// named connection carry its authorization (and SET HEADER's headers), no other URL does, PATCH,
// GRAPHQL and SOAP are known by idempotency keys of the run; RUN JAVASCRIPT answers, and an endless
// loop stops the run with the reason while the worker goes on.

type User = { token: string; userId: string };
type Run = { id: string; status: string; output: string[]; error: string | null };

let h: WorkflowHarness;
let sink: HttpSink;
let conversation: ReturnType<typeof serveConversationBots>;
let owner: User;
/** The integrations catalog's HTTP bearer-token entry (seeded). */
const HTTP_BEARER = '01935c2e-0000-7000-8000-000000000001';

beforeAll(async () => {
  [h, sink] = await Promise.all([
    startWorkflowHarness({ env: { SANDBOX_SCRIPT_TIMEOUT_MS: '1000' } }),
    startHttpSink(),
  ]);
  conversation = serveConversationBots(h);
  owner = await h.tokens.mint();
}, 60_000);
afterAll(async () => {
  await conversation?.stop();
  await Promise.all([h?.close(), sink?.close()]);
}, 30_000);

const call = (method: string, url: string, payload?: object) =>
  h.app.inject({
    method: method as 'GET',
    url,
    headers: bearer(owner.token),
    ...(payload ? { payload } : {}),
  });

async function runScript(botId: string, script: string): Promise<Run> {
  const created = await call('POST', `/v1/bots/${botId}/automations`, {
    name: `keywords ${randomUUID().slice(0, 6)}`,
    schedule: '0 3 * * *',
    script,
  });
  expect(created.statusCode, created.body).toBe(201);
  const id = created.json().id;
  const asked = await call('POST', `/v1/bots/${botId}/automations/${id}/run`);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const runs = (await call('GET', `/v1/bots/${botId}/automations/${id}/runs`)).json().items as Run[];
    const run = runs.find((r) => r.id === asked.json().runId && r.status !== 'running');
    if (run) return run;
    if (Date.now() > deadline) throw new Error('the run did not finish');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('HTTP keywords in an automation', () => {
  it("carry the named connection's authorization under its base URL only, with idempotency keys", async () => {
    const bot = await conversation.save({ ownerUserId: owner.userId });
    const token = `tok-${randomUUID()}`;
    const connection = await call('POST', '/v1/integrations/connections', {
      integrationId: HTTP_BEARER,
      name: `CRM ${randomUUID().slice(0, 6)}`,
      config: { baseUrl: `${sink.url}/crm`, token },
    });
    expect(connection.statusCode, connection.body).toBe(201);
    const seen = sink.requests.length;
    const run = await runScript(
      bot.id,
      [
        `USE CONNECTION "${connection.json().id}"`,
        'SET HEADER "X-Tenant", "acme"',
        `a = PUT "${sink.url}/crm/contacts/1", {"name": "Ana"}`,
        `b = PATCH "${sink.url}/crm/contacts/1", {"stage": "won"}`,
        `c = DELETE HTTP "${sink.url}/crm/contacts/2"`,
        `e = PATCH "${sink.url}/elsewhere", {"x": 1}`,
        'TALK a.echo.name & " " & b.echo.stage',
        `d = GRAPHQL "${sink.url}/crm/graphql", "{ contacts { id } }"`,
      ].join('\n'),
    );
    // The sink answers { ok, echo } to everything, which is no GraphQL answer: the run says so.
    expect(run).toMatchObject({ status: 'error', output: ['Ana won'] });
    expect(run.error).toMatch(/GRAPHQL failed: .*\/crm\/graphql did not answer GraphQL \(no "data"\)/);
    const sent = sink.requests
      .slice(seen)
      .map((r) => [r.method, r.path, r.headers.authorization ?? null, r.headers['x-tenant'] ?? null]);
    expect(sent).toEqual([
      ['PUT', '/crm/contacts/1', `Bearer ${token}`, 'acme'],
      ['PATCH', '/crm/contacts/1', `Bearer ${token}`, 'acme'],
      ['DELETE', '/crm/contacts/2', `Bearer ${token}`, 'acme'],
      ['PATCH', '/elsewhere', null, 'acme'],
      ['POST', '/crm/graphql', `Bearer ${token}`, 'acme'],
    ]);
    expect(sink.requests.slice(seen).map((r) => r.idempotencyKey ?? null)).toEqual([
      null,
      expect.stringMatching(/^automation:[0-9a-f-]{36}:patch:0$/),
      null,
      expect.stringMatching(/^automation:[0-9a-f-]{36}:patch:1$/),
      expect.stringMatching(/^automation:[0-9a-f-]{36}:graphql:0$/),
    ]);
    const runs = await h.admin`select output, error from workflow.automation_runs`;
    expect(JSON.stringify(runs)).not.toContain(token);
  });
});

describe('SOAP in an automation', () => {
  it('is known by an idempotency key of the run, as POST is (reading the WSDL takes none)', async () => {
    const seen: { method: string; key: string | undefined }[] = [];
    const server = createServer((req, res) => {
      seen.push({ method: req.method ?? '', key: req.headers['idempotency-key'] as string | undefined });
      req.resume();
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      res.writeHead(200, { 'content-type': 'text/xml' });
      if (req.method === 'GET')
        res.end(
          `<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" targetNamespace="urn:prices"><portType name="P"><operation name="GetPrice"/></portType><service name="S"><port name="SP" binding="B"><soap:address location="${origin}/soap"/></port></service></definitions>`,
        );
      else
        res.end(
          '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetPriceResponse><price>7</price></GetPriceResponse></soap:Body></soap:Envelope>',
        );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const bot = await conversation.save({ ownerUserId: owner.userId });
      const run = await runScript(
        bot.id,
        `p = SOAP "${base}/prices?wsdl", "GetPrice", {"item": "pen"}\nTALK p.price`,
      );
      expect(run).toMatchObject({ status: 'success', output: ['7'] });
      expect(seen).toEqual([
        { method: 'GET', key: undefined },
        { method: 'POST', key: `automation:${run.id}:soap:0` },
      ]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('RUN JAVASCRIPT in an automation', () => {
  it("answers the code's value; an endless loop stops the run with the reason and the next run works", async () => {
    const bot = await conversation.save({ ownerUserId: owner.userId });
    const done = await runScript(bot.id, 'TALK RUN JAVASCRIPT "[3, 4].map(n => n * n).join(\',\')"');
    expect(done).toMatchObject({ status: 'success', output: ['9,16'] });
    const looped = await runScript(bot.id, 'TALK "start"\nx = RUN JAVASCRIPT "for (;;) {}"');
    expect(looped).toMatchObject({ status: 'error', output: ['start'] });
    expect(looped.error).toMatch(/RUN JAVASCRIPT failed: the code was stopped at its time limit/);
    expect(await runScript(bot.id, 'TALK RUN JAVASCRIPT "6 * 7"')).toMatchObject({
      status: 'success',
      output: ['42'],
    });
    const python = await call('POST', `/v1/bots/${bot.id}/automations`, {
      name: 'python',
      schedule: '0 3 * * *',
      script: 'x = RUN PYTHON "print(1)"',
    });
    expect(python.statusCode).toBe(422);
    expect(python.body).toContain('RUN PYTHON is not available on this server: it needs a sandbox runner');
  });
});
