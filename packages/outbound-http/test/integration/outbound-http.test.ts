import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutboundHttp } from '../../src/index.js';

// Requests against a real local server: host names resolve and connect, and every
// spelling of a loopback address (and every redirect into one) is refused before a byte is sent.

let server: Server;
let port: number;
const hits: string[] = [];
const landed: Record<string, unknown>[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.url === '/hop-away' || req.url === '/hop-here') {
      const host = req.url === '/hop-away' ? '127.0.0.1' : 'localhost';
      res.writeHead(302, { location: `http://${host}:${port}/landed` }).end();
      return;
    }
    if (req.url === '/landed') landed.push(req.headers);
    if (req.url === '/to-loopback') {
      res.writeHead(302, { location: `http://127.0.0.1:${port}/secret` }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
});

const options = { timeoutMs: 2000, maxBytes: 10_000 };

describe('outbound HTTP', () => {
  it('connects to a host name once its addresses are checked (allowed by name or by range)', async () => {
    for (const allow of [['localhost'], ['127.0.0.0/8']]) {
      const http = createOutboundHttp({ ...options, allow });
      const answer = await http.send('GET', `http://localhost:${port}/by-name`);
      expect(JSON.parse(answer.body.toString()), allow[0]).toEqual({ path: '/by-name' });
      expect(answer.url).toBe(`http://localhost:${port}/by-name`);
    }
  });

  it('refuses every spelling of a loopback address', async () => {
    const http = createOutboundHttp({ ...options, allow: [] });
    const before = hits.length;
    for (const host of [
      'localhost',
      '127.0.0.1',
      '127.1',
      '0x7f.1',
      '2130706433',
      '[::1]',
      '[::ffff:127.0.0.1]',
      '[::127.0.0.1]',
      '[0:0:0:0:0:ffff:7f00:1]',
    ])
      await expect(http.send('GET', `http://${host}:${port}/x`), host).rejects.toThrow(
        /private, loopback or link-local/,
      );
    expect(hits.length).toBe(before);
  });

  it('refuses an answer larger than allowed', async () => {
    const http = createOutboundHttp({ ...options, maxBytes: 5, allow: ['localhost'] });
    await expect(http.send('GET', `http://localhost:${port}/big`)).rejects.toThrow(/larger than 5 bytes/);
  });

  it('leaves secret headers behind on a redirect to another origin, and keeps them on the same one', async () => {
    const http = createOutboundHttp({ ...options, allow: ['localhost', '127.0.0.0/8'] });
    const headers = { authorization: 'Bearer s3cret', 'x-api-key': 'k3y', 'x-plain': 'p' };
    await http.request({
      method: 'GET',
      url: `http://localhost:${port}/hop-away`,
      headers,
      secretHeaders: ['x-api-key'],
    });
    expect(landed.at(-1)).toMatchObject({ 'x-plain': 'p' });
    expect(landed.at(-1)).not.toHaveProperty('authorization');
    expect(landed.at(-1)).not.toHaveProperty('x-api-key');
    await http.request({
      method: 'GET',
      url: `http://localhost:${port}/hop-here`,
      headers,
      secretHeaders: ['x-api-key'],
    });
    expect(landed.at(-1)).toMatchObject(headers);
  });

  it('checks every redirect again', async () => {
    const http = createOutboundHttp({ ...options, allow: ['localhost'] });
    await expect(http.send('GET', `http://localhost:${port}/to-loopback`)).rejects.toThrow(
      /127\.0\.0\.1 is a private, loopback or link-local/,
    );
    expect(hits).not.toContain('/secret');
  });
});
