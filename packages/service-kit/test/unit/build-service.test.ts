import { DomainError } from '@conduit/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildService, createLogger, type ServiceApp } from '../../src/index.js';

let app: ServiceApp;
let healthy = true;
let searchUp = true;

beforeAll(async () => {
  app = await buildService({
    name: 'kit-test',
    logger: createLogger({ service: 'kit-test', level: 'silent' }),
    bodyLimit: 1024,
    readiness: {
      postgres: async () => {},
      nats: async () => {
        if (!healthy) throw new Error('connection refused');
      },
      search: {
        required: false,
        check: async () => {
          if (!searchUp) throw new Error('not answering');
        },
      },
    },
  });
  app.post(
    '/v1/things',
    {
      schema: {
        body: z.object({ name: z.string().min(1), count: z.number().int() }),
        response: { 201: z.object({ name: z.string() }) },
      },
    },
    async (request, reply) => reply.code(201).send({ name: request.body.name }),
  );
  app.get('/v1/things/:id', async (request) => request.params);
  app.get('/v1/conflict', async () => {
    throw new DomainError('conflict', 'That name is taken.', { retryAfterSeconds: 2.2 });
  });
  app.get('/v1/crash', async () => {
    throw new Error('password=hunter2 leaked internals');
  });
  await app.ready();
});
afterAll(() => app.close());

const post = (payload: string, contentType = 'application/json') =>
  app.inject({ method: 'POST', url: '/v1/things', payload, headers: { 'content-type': contentType } });

describe('service kit', () => {
  it('validates bodies and lists each invalid field', async () => {
    const res = await post(JSON.stringify({ name: '', count: 'x' }));
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    const body = res.json();
    expect(body).toMatchObject({
      code: 'validation_failed',
      status: 400,
      type: 'urn:problem:conduit:validation_failed',
    });
    expect(body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['body.count', 'body.name']);
    expect(body.requestId).toBe(res.headers['x-request-id']);
  });

  it.each([
    ['malformed JSON', '{"name": ', 'application/json', 400, 'malformed_body'],
    [
      '__proto__ payload',
      '{"name":"a","count":1,"__proto__":{"admin":true}}',
      'application/json',
      400,
      'malformed_body',
    ],
    [
      'constructor payload',
      '{"name":"a","count":1,"constructor":{"prototype":{"admin":true}}}',
      'application/json',
      400,
      'malformed_body',
    ],
    ['unknown content type', 'name=a', 'application/x-www-form-urlencoded', 415, 'unsupported_media_type'],
    [
      'oversized body',
      JSON.stringify({ name: 'x'.repeat(2000), count: 1 }),
      'application/json',
      413,
      'payload_too_large',
    ],
    ['empty JSON body', '', 'application/json', 400, 'malformed_body'],
  ])('answers %s with a clear 4xx', async (_name, payload, contentType, status, code) => {
    const res = await post(payload, contentType);
    expect(res.statusCode).toBe(status);
    expect(res.json()).toMatchObject({ code, status });
  });

  it('maps domain errors, with Retry-After when given', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/conflict' });
    expect(res.statusCode).toBe(409);
    expect(res.headers['retry-after']).toBe('3');
    expect(res.json()).toMatchObject({ code: 'conflict', detail: 'That name is taken.' });
  });

  it('never shows internals of a 500', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/crash' });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('hunter2');
    expect(res.json().code).toBe('internal');
  });

  it('answers a path it cannot decode with a 400 problem', async () => {
    for (const path of ['/v1/things/%ED%A0%80', '/v1/things/%C0%AF', '/v1/things/a%FFb']) {
      const res = await app.inject({ method: 'GET', url: path });
      expect(res.statusCode, path).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ code: 'bad_request', requestId: expect.any(String) });
      expect(res.headers['x-request-id']).toBe(res.json().requestId);
    }
  });

  it('answers unknown routes with a 404 problem', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/nothing?x=1' });
    expect(res.json()).toMatchObject({ status: 404, code: 'not_found', detail: 'No route GET /v1/nothing.' });
  });

  it('keeps a plain caller request id and replaces a hostile one', async () => {
    const kept = await app.inject({
      method: 'GET',
      url: '/health/live',
      headers: { 'x-request-id': 'abc-123' },
    });
    expect(kept.headers['x-request-id']).toBe('abc-123');
    const replaced = await app.inject({
      method: 'GET',
      url: '/health/live',
      headers: { 'x-request-id': 'a b\nc' },
    });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('reports readiness per dependency', async () => {
    expect((await app.inject({ method: 'GET', url: '/health/ready' })).json()).toEqual({
      status: 'ok',
      checks: { postgres: 'ok', nats: 'ok', search: 'ok' },
    });
    searchUp = false;
    const degraded = await app.inject({ method: 'GET', url: '/health/ready' });
    expect(degraded.statusCode).toBe(200);
    expect(degraded.json()).toMatchObject({
      status: 'degraded',
      checks: { search: 'failing: not answering' },
    });
    healthy = false;
    const res = await app.inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(503);
    expect(res.json().checks.nats).toBe('failing: connection refused');
  });

  it('documents its routes in OpenAPI', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.paths['/v1/things'].post.requestBody.content['application/json'].schema.required).toEqual([
      'name',
      'count',
    ]);
    expect(doc.paths['/health/live']).toBeUndefined();
  });
});
