import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough, Readable } from 'node:stream';
import { ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER, createTokenVerifier } from '@conduit/auth';
import { recordSpansInMemory } from '@conduit/telemetry';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayHarness, startGateway } from '../fixtures/gateway-harness.js';

// A real HTTP server standing in for a service, so the gateway's own behaviour (streaming,
// timeouts, outages, headers) can be driven precisely.
let upstream: Server;
let upstreamUrl: string;
let gateway: GatewayHarness;
let token: string;
const seen: { headers: Record<string, unknown>; closedEarly: boolean }[] = [];
/** How long the gateway waits for a service to start answering (UPSTREAM_TIMEOUT). */
const UPSTREAM_TIMEOUT_MS = 2000;
/**
 * The stream in progress writes its next event only when this is called, i.e. once the client has
 * the previous one: no timing decides what the client sees, and only the gateway ends a stream early.
 */
let writeNextEvent: (() => void) | undefined;
let eventsWritten = 0;
/** Called by the service when the first bytes of an upload reach it. */
let uploadStarted: (() => void) | undefined;

const spans = recordSpansInMemory();

/** An answer far larger than what the gateway holds whole: 3 MiB of bytes that are not all alike. */
const LARGE_ANSWER = Buffer.from(
  Array.from({ length: 3 * 1024 * 1024 }, (_, i) => (i * 7 + (i >> 12)) % 251),
);

beforeAll(async () => {
  upstream = createServer((req, res) => {
    const record = { headers: req.headers as Record<string, unknown>, closedEarly: false };
    seen.push(record);
    res.on('close', () => {
      if (!res.writableFinished) record.closedEarly = true;
    });
    if (req.url === '/v1/me/stream') {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      // Node would send the headers only with the first event otherwise.
      res.flushHeaders();
      eventsWritten = 0;
      writeNextEvent = () => {
        if (eventsWritten === 3 || res.destroyed) return;
        res.write(`event: delta\ndata: {"n":${++eventsWritten}}\n\n`);
        if (eventsWritten === 3) res.end('event: done\ndata: {}\n\n');
      };
      writeNextEvent();
      return;
    }
    if (req.url === '/v1/media') {
      // Says when the first bytes of an upload arrive, and answers how many came in all.
      let received = 0;
      req.on('data', (chunk: Buffer) => {
        if (received === 0) uploadStarted?.();
        received += chunk.length;
      });
      req.on('end', () => {
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ received, length: req.headers['content-length'] }));
      });
      return;
    }
    if (req.url?.startsWith('/v1/me/large')) {
      // More than the gateway reads whole: with its length declared, or chunked.
      const declared = !req.url.endsWith('chunked');
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        ...(declared ? { 'content-length': String(LARGE_ANSWER.length) } : {}),
      });
      for (let at = 0; at < LARGE_ANSWER.length; at += 64 * 1024)
        res.write(LARGE_ANSWER.subarray(at, at + 64 * 1024));
      res.end();
      return;
    }
    if (req.url === '/v1/me/slow') {
      // Far slower than the gateway waits.
      const late = setTimeout(() => res.end('{}'), UPSTREAM_TIMEOUT_MS * 5);
      res.on('close', () => clearTimeout(late));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes', connection: 'close' });
    res.end(JSON.stringify({ url: req.url }));
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;

  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwks = createLocalJWKSet({
    keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k', alg: 'EdDSA' }],
  });
  token = await new SignJWT({ sid: '0190c2d4-8e43-7b1a-9a4f-1f2e3d4c5b6b', org: null })
    .setProtectedHeader({ alg: 'EdDSA', kid: 'k' })
    .setSubject('0190c2d4-8e43-7b1a-9a4f-1f2e3d4c5b6a')
    .setIssuer(ACCESS_TOKEN_ISSUER)
    .setAudience(ACCESS_TOKEN_AUDIENCE)
    .setExpirationTime('5m')
    .sign(pair.privateKey);
  gateway = await startGateway(
    {
      IDENTITY_URL: upstreamUrl,
      WORKSPACE_URL: upstreamUrl,
      CONVERSATION_URL: upstreamUrl,
      UPSTREAM_TIMEOUT: `${UPSTREAM_TIMEOUT_MS}ms`,
    },
    createTokenVerifier({ keys: jwks }),
  );
});
afterAll(async () => {
  await spans.shutdown();
  await gateway?.close();
  upstream?.closeAllConnections();
  await new Promise((resolve) => upstream?.close(resolve));
});

const auth = () => ({ authorization: `Bearer ${token}` });

describe('proxying', () => {
  it('streams Server-Sent Events as they are written, without buffering', async () => {
    const res = await request(`${gateway.url}/v1/me/stream`, {
      headers: { ...auth(), accept: 'text/event-stream' },
    });
    expect(res.headers['content-type']).toBe('text/event-stream');
    const arrivals: { written: number; text: string }[] = [];
    for await (const chunk of res.body) {
      arrivals.push({ written: eventsWritten, text: chunk.toString() });
      // The service writes the next event only now: a gateway that held the answer back until it
      // ended would never pass the first event on (and the test would time out).
      writeNextEvent?.();
    }
    const text = arrivals.map((a) => a.text).join('');
    expect(text).toContain('data: {"n":1}');
    expect(text).toContain('event: done');
    // The first event arrives while it is the only one written, long before the stream ends.
    expect(arrivals.length).toBeGreaterThanOrEqual(3);
    expect(arrivals[0]!.written).toBe(1);
  });

  it('passes an upload on as it arrives: the service has its first bytes before the client sends the rest', async () => {
    const half = Buffer.alloc(256 * 1024, 'a');
    const body = new PassThrough();
    const reached = new Promise<void>((resolve) => {
      uploadStarted = resolve;
    });
    const answer = request(`${gateway.url}/v1/media`, {
      method: 'POST',
      headers: {
        ...auth(),
        'content-type': 'multipart/form-data; boundary=x',
        'content-length': String(half.length * 2),
      },
      body,
    });
    body.write(half);
    // A gateway that read the whole body first would never let the service see these bytes.
    await reached;
    body.end(half);
    const res = await answer;
    expect(res.statusCode).toBe(201);
    expect(await res.body.json()).toEqual({ received: half.length * 2, length: String(half.length * 2) });
  });

  it('refuses an upload without a length, or longer than its route allows, before any byte moves', async () => {
    const chunked = await request(`${gateway.url}/v1/media`, {
      method: 'POST',
      headers: { ...auth(), 'content-type': 'multipart/form-data; boundary=x' },
      body: Readable.from([Buffer.from('--x--')]),
    });
    expect(chunked.statusCode).toBe(400);
    expect((await chunked.body.json()) as object).toMatchObject({
      detail: 'Send uploads with a Content-Length.',
    });
    // Ten gigabytes declared, a few bytes sent: the answer comes without waiting for the rest.
    const status = await new Promise<number>((resolve, reject) => {
      const huge = httpRequest(`${gateway.url}/v1/media`, {
        method: 'POST',
        headers: {
          ...auth(),
          'content-type': 'multipart/form-data; boundary=x',
          'content-length': String(10 * 1024 * 1024 * 1024),
        },
      });
      huge.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        huge.destroy();
      });
      huge.on('error', reject);
      huge.write('--x');
    });
    expect(status).toBe(413);
  });

  it('passes a large answer on whole, to a client that reads it slowly', async () => {
    for (const path of ['/v1/me/large', '/v1/me/large-chunked']) {
      const res = await request(`${gateway.url}${path}`, { headers: auth() });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/octet-stream');
      const chunks: Buffer[] = [];
      for await (const chunk of res.body) {
        chunks.push(chunk as Buffer);
        // A slow reader: the gateway must hold the service back, not lose or reorder bytes.
        if (chunks.length % 16 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(Buffer.concat(chunks).equals(LARGE_ANSWER)).toBe(true);
    }
  });

  it('cancels the call to the service when the client goes away mid-stream', async () => {
    const controller = new AbortController();
    const res = await request(`${gateway.url}/v1/me/stream`, { headers: auth(), signal: controller.signal });
    for await (const _ of res.body) {
      controller.abort();
      break;
    }
    // The service writes nothing more unless told to: only the gateway cutting the call ends it.
    await expect.poll(() => seen.at(-1)?.closedEarly, { timeout: 10_000 }).toBe(true);
  });

  it('answers 504 problem+json when the service is slower than the timeout', async () => {
    const res = await fetch(`${gateway.url}/v1/me/slow`, { headers: auth() });
    expect(res.status).toBe(504);
    expect(await res.json()).toMatchObject({
      code: 'gateway_timeout',
      detail: expect.stringMatching(/identity service did not answer in time/),
    });
  });

  it('forwards request ids, trace context and client address, and drops hop-by-hop headers', async () => {
    const res = await fetch(`${gateway.url}/v1/me/echo?x=1`, {
      headers: { ...auth(), 'x-request-id': 'rid-1', 'proxy-authorization': 'secret' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ url: '/v1/me/echo?x=1' });
    expect(res.headers.get('x-upstream')).toBe('yes');
    expect(res.headers.get('x-request-id')).toBe('rid-1');
    const headers = seen.at(-1)!.headers;
    expect(headers['x-request-id']).toBe('rid-1');
    expect(headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    expect(headers['proxy-authorization']).toBeUndefined();
    expect(headers.authorization).toBe(`Bearer ${token}`);
  });

  it("passes a bot's webhook call on without a token, and nothing else of the bots' paths", async () => {
    const hook = `/v1/public/bots/${crypto.randomUUID()}/webhooks/new-order?secret=s`;
    const res = await fetch(`${gateway.url}${hook}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'A1' }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ url: hook });
    expect(seen.at(-1)!.headers.authorization).toBeUndefined();
    expect((await fetch(`${gateway.url}/v1/bots/${crypto.randomUUID()}/tools`)).status).toBe(401);
    expect((await fetch(`${gateway.url}/v1/public/bots/x/..%2F..%2Fbots`)).status).toBe(401);
  });

  it('passes on only the address it saw itself, not an X-Forwarded-For an untrusted client made up', async () => {
    // Identity counts failed logins per client address: a forged hop must not become that address.
    const res = await fetch(`${gateway.url}/v1/me/echo`, {
      headers: { ...auth(), 'x-forwarded-for': '203.0.113.7, 10.0.0.9' },
    });
    expect(res.status).toBe(200);
    expect(seen.at(-1)!.headers['x-forwarded-for']).toBe('127.0.0.1');
  });
});

describe('a service that is down', () => {
  it('gives 502 problem+json, and the gateway reports itself degraded', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const down = await startGateway(
      { IDENTITY_URL: `http://127.0.0.1:${port}` },
      createTokenVerifier({
        keys: async () => {
          throw new TypeError('no keys');
        },
      }),
    );
    try {
      const res = await fetch(`${down.url}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(res.status).toBe(502);
      expect(await res.json()).toMatchObject({
        code: 'bad_gateway',
        detail: expect.stringMatching(/identity service is unavailable/),
      });
      const ready = await fetch(`${down.url}/health/ready`);
      expect(ready.status).toBe(200);
      expect(((await ready.clone().json()) as { status: string }).status).toBe('degraded');
      expect(((await ready.json()) as { checks: Record<string, string> }).checks.identity).toMatch(/failing/);
    } finally {
      await down.close();
    }
  });
});
