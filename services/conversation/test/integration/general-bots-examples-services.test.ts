import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConversationHarness, startConversationHarness } from '../fixtures/conversation-harness.js';

// The General Bots style examples of examples/basic/ that call outside services (a CRM over REST
// and GraphQL, a carrier over SOAP) run unchanged as bots' dialogs against a real local server,
// checked by what the server received and what the bot said.

const examples = new URL('../../../../examples/basic/', import.meta.url);
const example = (name: string) => readFile(fileURLToPath(new URL(name, examples)), 'utf8');

let server: Server;
let base: string;
const received: { method: string; url: string; key: string | undefined; body: string }[] = [];
let h: ConversationHarness;
let user: Awaited<ReturnType<ConversationHarness['tokens']['mint']>>;

const wsdl = (endpoint: string) => `<?xml version="1.0"?>
<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
  targetNamespace="urn:carrier">
  <binding name="RatesBinding"><operation name="GetRate"><soap:operation soapAction="urn:carrier#GetRate"/></operation></binding>
  <service name="Rates"><port name="RatesPort" binding="RatesBinding"><soap:address location="${endpoint}"/></port></service>
</definitions>`;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ method: req.method!, url: req.url!, key: req.headers['x-api-key'] as string, body });
      const json = (value: unknown) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      if (req.url === '/carrier?wsdl') {
        res.writeHead(200, { 'content-type': 'text/xml' });
        return res.end(wsdl(`${base}/carrier`));
      }
      if (req.url === '/carrier') {
        const weight = Number(/<weight>([\d.]+)<\/weight>/.exec(body)?.[1]);
        res.writeHead(200, { 'content-type': 'text/xml' });
        return res.end(
          `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><GetRateResponse xmlns="urn:carrier"><amount>${(weight * 2.3).toFixed(2)}</amount><currency>EUR</currency><days>2</days></GetRateResponse></s:Body></s:Envelope>`,
        );
      }
      if (req.url === '/crm/graphql') {
        const { variables } = JSON.parse(body);
        return json({
          data: { account: variables.name === 'ACME' ? { owner: 'Rui', deals: 3 } : null },
        });
      }
      if (req.method === 'DELETE') {
        res.writeHead(204);
        return res.end();
      }
      json({ ...JSON.parse(body || '{}'), saved: true });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  h = await startConversationHarness({ env: { SCRIPT_HTTP_ALLOW: '127.0.0.0/8' } });
  user = await h.tokens.mint({ orgId: crypto.randomUUID(), perms: ['bots.read', 'bots.write'] });
});
afterAll(async () => {
  await h?.close();
  await new Promise((resolve) => server?.close(resolve));
});

async function call(method: string, url: string, payload?: object) {
  const res = await h.app.inject({ method: method as 'GET', url, headers: user.headers, payload });
  if (res.statusCode >= 300) throw new Error(`${method} ${url} -> ${res.statusCode} ${res.body}`);
  return res.json();
}

type Reply = { session: { id: string }; messages: { sender: string; content: string }[] };
const texts = (reply: Reply) => reply.messages.filter((m) => m.sender !== 'user').map((m) => m.content);

async function exampleSession(file: string, config: Record<string, string>) {
  const bot = await call('POST', '/v1/bots', { name: file, script: await example(file) });
  await call('PUT', `/v1/bots/${bot.id}/config`, {
    items: Object.entries(config).map(([key, value]) => ({ key, value })),
  });
  const started = (await call('POST', `/v1/bots/${bot.id}/sessions`, {})) as Reply;
  return {
    first: texts(started),
    say: async (text: string) =>
      texts((await call('POST', `/v1/sessions/${started.session.id}/messages`, { text })) as Reply),
  };
}

describe('examples/basic calling outside services', () => {
  it('crm-sync.bas: PUT, PATCH, GRAPHQL and DELETE HTTP with the API key of config.csv', async () => {
    received.length = 0;
    const chat = await exampleSession('crm-sync.bas', {
      'param-crm': `${base}/crm`,
      'param-crmKey': 'key-42',
    });
    expect(chat.first).toEqual(['Which company are you from?']);
    expect(await chat.say('ACME')).toEqual(['And your email?']);
    expect(await chat.say('ana@acme.io')).toEqual([
      'Thanks! Rui looks after ACME (3 open deals) and will write to ana@acme.io.',
    ]);
    expect(received.map((r) => [r.method, r.url, r.key])).toEqual([
      ['PUT', '/crm/contacts/ana@acme.io', 'key-42'],
      ['PATCH', '/crm/contacts/ana@acme.io', 'key-42'],
      ['POST', '/crm/graphql', 'key-42'],
      ['DELETE', '/crm/carts/ana@acme.io', 'key-42'],
    ]);
    expect(JSON.parse(received[0]!.body)).toEqual({ email: 'ana@acme.io', company: 'ACME' });
    expect(JSON.parse(received[1]!.body)).toEqual({ stage: 'qualified' });
  });

  it('shipping-quote.bas: SOAP from the WSDL of config.csv, rounded by RUN JAVASCRIPT', async () => {
    received.length = 0;
    const chat = await exampleSession('shipping-quote.bas', { 'param-carrierWsdl': `${base}/carrier?wsdl` });
    expect(chat.first).toEqual(['How many kilos does your parcel weigh?']);
    expect(await chat.say('3,2')).toEqual(['To which zip code?']);
    // 3.2 kg at 2.30 a kilo is 7.36, rounded up to the half: 7.50.
    expect(await chat.say('94107')).toEqual(['Shipping to 94107 costs 7.50 EUR and takes 2 days.']);
    const soap = received.find((r) => r.url === '/carrier')!;
    expect(soap.body).toContain(
      '<GetRate xmlns="urn:carrier"><weight>3.2</weight><zip>94107</zip></GetRate>',
    );
  });
});
