import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConversationHarness, startConversationHarness } from '../fixtures/conversation-harness.js';

// The HTTP keywords of issue #19 (family 5) in bots' dialogs, through @conduit/outbound-http to a
// real local server (allowed by SCRIPT_HTTP_ALLOW, as a public address would be): what the server
// received is checked, method by method, and what the script got back.

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let base: string;
let other: string;
const received: Received[] = [];
let h: ConversationHarness;
let user: Awaited<ReturnType<ConversationHarness['tokens']['mint']>>;

const WSDL = (endpoint: string) => `<?xml version="1.0" encoding="utf-8"?>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
  xmlns:tns="http://example.com/prices" targetNamespace="http://example.com/prices">
  <wsdl:portType name="PricesPort"><wsdl:operation name="GetPrice"/></wsdl:portType>
  <wsdl:binding name="PricesBinding" type="tns:PricesPort">
    <soap:binding transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="GetPrice"><soap:operation soapAction="http://example.com/prices/GetPrice"/></wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="Prices"><wsdl:port name="PricesSoap" binding="tns:PricesBinding">
    <soap:address location="${endpoint}"/></wsdl:port></wsdl:service>
</wsdl:definitions>`;

const envelope = (body: string) =>
  `<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>${body}</soap:Body></soap:Envelope>`;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const json = (status: number, value: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      if (req.url === '/prices?wsdl') {
        res.writeHead(200, { 'content-type': 'text/xml' });
        return res.end(WSDL(`${base}/prices`));
      }
      if (req.url === '/prices') {
        res.writeHead(body.includes('<item>pen</item>') ? 200 : 500, { 'content-type': 'text/xml' });
        return res.end(
          body.includes('<item>pen</item>')
            ? envelope(
                '<GetPriceResponse xmlns="http://example.com/prices"><price>1.5</price><currency>EUR</currency></GetPriceResponse>',
              )
            : envelope(
                '<soap:Fault><faultcode>soap:Client</faultcode><faultstring>Unknown item</faultstring></soap:Fault>',
              ),
        );
      }
      if (req.url === '/graphql') {
        const { query, variables } = JSON.parse(body);
        if (query.includes('broken'))
          return json(200, { errors: [{ message: 'Cannot query field "broken"' }] });
        return json(200, { data: { user: { id: variables?.id ?? null, name: 'Ana' } } });
      }
      if (req.url === '/elsewhere') {
        res.writeHead(307, { location: `${other}/landing` });
        return res.end();
      }
      if (req.url === '/gone') return json(404, { error: 'no such item' });
      if (req.method === 'DELETE') {
        res.writeHead(204);
        return res.end();
      }
      json(200, { method: req.method, body: body ? JSON.parse(body) : null });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;
  // The same server under another origin: headers of the script must not follow a redirect there.
  other = `http://localhost:${port}`;
  h = await startConversationHarness({ env: { SCRIPT_HTTP_ALLOW: '127.0.0.0/8,localhost' } });
  user = await h.tokens.mint({ orgId: crypto.randomUUID(), perms: ['bots.read', 'bots.write'] });
});
afterAll(async () => {
  await h?.close();
  await new Promise((resolve) => server?.close(resolve));
});

async function call(method: string, url: string, payload?: object) {
  const res = await h.app.inject({ method: method as 'GET', url, headers: user.headers, payload });
  expect(res.statusCode).toBeLessThan(300);
  return res.json();
}

const botTexts = (reply: { messages: { sender: string; content: string }[] }) =>
  reply.messages.filter((m) => m.sender !== 'user').map((m) => m.content);

async function start(script: string) {
  const bot = await call('POST', '/v1/bots', { name: 'HTTP', script });
  return call('POST', `/v1/bots/${bot.id}/sessions`, {});
}

describe('HTTP keywords in a dialog', () => {
  it('PUT, PATCH and DELETE HTTP send their method and JSON body; SET HEADER goes with each, also after a HEAR', async () => {
    received.length = 0;
    const started = await start(`SET HEADER "X-Api-Key", "k-123"
a = PUT "${base}/items/1", {"name": "Ana", "qty": 2}
TALK a.method & " " & a.body.name
HEAR answer
b = PATCH "${base}/items/1", {"qty": answer}
TALK b.method & " " & b.body.qty
c = DELETE HTTP "${base}/items/1"
TALK "deleted [" & c & "]"
CLEAR HEADERS
d = PUT "${base}/items/2", "plain"
TALK d.body`);
    expect(botTexts(started)).toEqual(['PUT Ana']);
    const reply = await call('POST', `/v1/sessions/${started.session.id}/messages`, { text: '5' });
    expect(botTexts(reply)).toEqual(['PATCH 5', 'deleted []', 'plain']);
    expect(received.map((r) => [r.method, r.url, r.headers['x-api-key'] ?? null])).toEqual([
      ['PUT', '/items/1', 'k-123'],
      ['PATCH', '/items/1', 'k-123'],
      ['DELETE', '/items/1', 'k-123'],
      ['PUT', '/items/2', null],
    ]);
    expect(received[0]!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(received[1]!.body)).toEqual({ qty: '5' });
    expect(received[2]!.body).toBe('');
  });

  it('a header set by the script does not follow a redirect to another origin', async () => {
    received.length = 0;
    const started = await start(`SET HEADER "Authorization", "Bearer secret-1"
r = PUT "${base}/elsewhere", {"a": 1}
TALK r.method`);
    expect(botTexts(started)).toEqual(['PUT']);
    expect(received.map((r) => [r.url, r.headers.authorization ?? null])).toEqual([
      ['/elsewhere', 'Bearer secret-1'],
      ['/landing', null],
    ]);
  });

  it('GRAPHQL answers data, with variables; its errors are the script error', async () => {
    received.length = 0;
    const started =
      await start(`r = GRAPHQL "${base}/graphql", "query($id: ID!) { user(id: $id) { id name } }", {"id": "7"}
TALK r.user.name & " " & r.user.id
x = GRAPHQL "${base}/graphql", "{ broken }"`);
    const texts = botTexts(started);
    expect(texts[0]).toBe('Ana 7');
    expect(texts[1]).toMatch(/GRAPHQL failed: GraphQL answered: Cannot query field "broken"/);
    expect(JSON.parse(received[0]!.body)).toEqual({
      query: 'query($id: ID!) { user(id: $id) { id name } }',
      variables: { id: '7' },
    });
  });

  it('SOAP reads the endpoint and SOAPAction from the WSDL and answers the operation; a fault is the error', async () => {
    received.length = 0;
    const started = await start(`r = SOAP "${base}/prices?wsdl", "GetPrice", {"item": "pen"}
TALK r.price & " " & r.currency
x = SOAP "${base}/prices?wsdl", "GetPrice", {"item": "<script>"}`);
    const texts = botTexts(started);
    expect(texts[0]).toBe('1.5 EUR');
    expect(texts[1]).toMatch(/SOAP failed: the SOAP service answered a fault: Unknown item/);
    const post = received.find((r) => r.method === 'POST')!;
    expect(post.url).toBe('/prices');
    expect(post.headers.soapaction).toBe('"http://example.com/prices/GetPrice"');
    expect(post.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(post.body).toContain('<GetPrice xmlns="http://example.com/prices"><item>pen</item></GetPrice>');
    // The parameter's text is escaped, never markup.
    expect(received.at(-1)!.body).toContain('<item>&lt;script&gt;</item>');
  });

  it('refuses private addresses the operator did not allow, headers that frame the request, and says so', async () => {
    const texts = botTexts(await start('x = PUT "http://169.254.169.254/latest", {"a": 1}'));
    expect(texts[0]).toMatch(/PUT failed: 169\.254\.169\.254 is a private, loopback or link-local address/);
    expect(botTexts(await start('SET HEADER "Host", "evil.example"'))[0]).toMatch(
      /SET HEADER failed: Host is set by Conduit, not by a script/,
    );
    expect(botTexts(await start('SET HEADER "X A", "b"'))[0]).toMatch(/"X A" is not a header name/);
    expect(botTexts(await start(`x = DELETE HTTP "${base}/gone"`))[0]).toMatch(/answered HTTP 404/);
  });
});
