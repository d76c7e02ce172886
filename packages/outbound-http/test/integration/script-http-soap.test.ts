import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutboundHttp, scriptHttpKeywords } from '../../src/index.js';

// SOAP against two real local servers (two origins): the WSDL's server and a second one that a
// WSDL may name as its endpoint. SET HEADER's headers reach the endpoint only when it is the
// WSDL's own origin; the call carries the host's idempotency key as POST does.

interface Seen {
  path: string;
  headers: IncomingHttpHeaders;
}

const answer = `<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetPriceResponse xmlns="urn:prices"><price>7</price></GetPriceResponse></soap:Body></soap:Envelope>`;
const wsdlFor = (endpoint: string) =>
  `<?xml version="1.0"?><definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" targetNamespace="urn:prices"><portType name="P"><operation name="GetPrice"/></portType><binding name="B" type="P"><operation name="GetPrice"><soap:operation soapAction="urn:GetPrice"/></operation></binding><service name="S"><port name="SP" binding="B"><soap:address location="${endpoint}"/></port></service></definitions>`;

// The WSDL names the endpoint given in its own query (?endpoint=), else /soap on its own origin.
function serve(seen: Seen[], origin: () => string): Server {
  return createServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers });
    req.resume();
    const endpoint = new URL(req.url ?? '/', origin()).searchParams.get('endpoint') ?? `${origin()}/soap`;
    if (req.method === 'GET') res.writeHead(200, { 'content-type': 'text/xml' }).end(wsdlFor(endpoint));
    else res.writeHead(200, { 'content-type': 'text/xml' }).end(answer);
  });
}

const listen = async (server: Server) => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

const seenHere: Seen[] = [];
const seenElsewhere: Seen[] = [];
let here: string;
let elsewhere: string;
const servers: Server[] = [];

beforeAll(async () => {
  const home = serve(seenHere, () => here);
  const other = serve(seenElsewhere, () => elsewhere);
  servers.push(home, other);
  here = await listen(home);
  elsewhere = await listen(other);
});
afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

const http = () => createOutboundHttp({ allow: ['127.0.0.0/8'], timeoutMs: 2000, maxBytes: 10_000 });

describe('SOAP', () => {
  it('sends SET HEADER headers and the idempotency key to an endpoint of the WSDL origin', async () => {
    seenHere.length = 0;
    const keywords = scriptHttpKeywords(http(), {
      headersFor: (keyword) => (keyword === 'SOAP' ? { 'idempotency-key': 'run-1:soap:0' } : undefined),
    });
    await keywords.setHeader('X-Api-Key', 'k-secret');
    await expect(keywords.soap(`${here}/prices?wsdl`, 'GetPrice', { item: 'a' })).resolves.toEqual({
      price: 7,
    });
    const [wsdl, call] = seenHere;
    expect(wsdl?.headers['x-api-key']).toBe('k-secret');
    // Reading the WSDL is a GET: it takes no key.
    expect(wsdl?.headers['idempotency-key']).toBeUndefined();
    expect(call?.path).toBe('/soap');
    expect(call?.headers['x-api-key']).toBe('k-secret');
    expect(call?.headers['idempotency-key']).toBe('run-1:soap:0');
    expect(call?.headers.soapaction).toBe('"urn:GetPrice"');
  });

  it('does not send SET HEADER headers to an endpoint of another origin the WSDL names', async () => {
    seenHere.length = 0;
    seenElsewhere.length = 0;
    const keywords = scriptHttpKeywords(http());
    await keywords.setHeader('X-Api-Key', 'k-secret');
    const wsdl = `${here}/prices?wsdl&endpoint=${encodeURIComponent(`${elsewhere}/soap`)}`;
    await expect(keywords.soap(wsdl, 'GetPrice', {})).resolves.toEqual({ price: 7 });
    expect(seenHere[0]?.headers['x-api-key']).toBe('k-secret');
    expect(seenElsewhere).toHaveLength(1);
    expect(seenElsewhere[0]?.path).toBe('/soap');
    expect(seenElsewhere[0]?.headers['x-api-key']).toBeUndefined();
  });
});
