import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutboundHttp, scriptFetch, scriptHttpKeywords, urlForMessage } from '../../src/index.js';

// What the HTTP keywords' errors say of the URL, against a real local server that answers 404:
// the origin and path, never the query string (API keys), the fragment or user info.

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error": "missing"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
});

const http = () => createOutboundHttp({ allow: ['127.0.0.0/8'], timeoutMs: 2000, maxBytes: 10_000 });

describe('HTTP keyword errors', () => {
  it('name the URL without its query string or fragment', async () => {
    const keywords = scriptHttpKeywords(http());
    const url = `${base}/orders?api_key=k-secret-1&x=2#token=k-secret-2`;
    for (const attempt of [
      keywords.httpGet(url),
      keywords.httpPost(url, { a: 1 }),
      keywords.httpDelete(url),
      keywords.graphql(url, '{ a }', null),
      keywords.soap(`${base}/prices?wsdl=1&key=k-secret-3`, 'GetPrice', {}),
      scriptFetch(http())('GET', url),
    ]) {
      const error = (await attempt.then(
        () => null,
        (e: Error) => e,
      )) as Error | null;
      expect(error?.message).toMatch(
        new RegExp(`^${base}/(orders|prices) (answered HTTP 404|did not answer)`),
      );
      expect(error?.message).not.toContain('k-secret');
    }
  });

  it('do not repeat the key of text that is not a URL', async () => {
    await expect(scriptHttpKeywords(http()).httpGet('not a url?api_key=k-secret')).rejects.toThrow(
      '"not a url" is not a URL',
    );
  });

  it('urlForMessage keeps scheme, host, port and path only', () => {
    expect(urlForMessage('https://ana:pw@api.example.com:8443/v1/items?key=s#f')).toBe(
      'https://api.example.com:8443/v1/items',
    );
    expect(urlForMessage('ana:pw@host/x?key=s')).toBe('host/x');
    expect(urlForMessage(`https://example.com/${'a'.repeat(400)}`)).toHaveLength(303);
  });
});
